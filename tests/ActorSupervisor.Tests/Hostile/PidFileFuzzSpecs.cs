using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// PID files and lock files as attack surface, fuzzed from a fixed seed: forged pids (bystanders, the supervisor
/// itself, dead, zero, negative, beyond pid_max), start times, groups, commands, owners, names, launch ids; garbage,
/// huge and truncated files, symbolic links, FIFOs, directories and hard links in place of files, planted lock files.
/// Every case goes through what `status` (Inspect and Verify), `up` (DecideAdoption under the daemon's lock) and `stop`
/// (OrphanStopper, with and without force) do, against bystanders that lead their own sessions and record every
/// signal. The generator never writes a perfect copy of a daemon's identity (that would be the daemon), so nothing may
/// ever be adopted, reported alive or signalled; a leak check follows each case. Real orphans among the forgeries
/// prove the same code does stop what is ours. PID 1 and groups 0 and 1 are forged in <see cref="PidNamespaceSpecs"/>.
/// </summary>
public sealed class PidFileFuzzSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Seed = 20261126;
    private const int Cases = 400;
    private const string Session = "fz";
    private static readonly string[] SpecNames = ["web", "a-b"];

    private readonly TestProject _project = new(Session);
    private readonly List<TargetProcess> _bystanders = [];
    private string Victim => Path.Combine(_project.Dir, "victim.txt");
    private const string VictimText = "victim\n";
    private PidFileStore? _store;
    private PidFileStore Store => _store ??= _project.Store; // one instance, as one `up` has

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string existing, string created);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    private sealed class Tally
    {
        public int Tried, RefusedCorrectly, WronglySignalled, WronglyAdopted, ReportedAlive, Leaks, Unexpected;
        public int OrphansPlanted, OrphansStopped;
        public readonly Dictionary<string, int> Kinds = [];

        public string Report() =>
            $"hostile fuzz (seed {Seed}): cases tried {Tried}, refused correctly {RefusedCorrectly}, processes wrongly signalled " +
            $"{WronglySignalled}, wrongly adopted {WronglyAdopted}, wrongly reported alive {ReportedAlive}, leaks {Leaks}, " +
            $"unexpected errors {Unexpected}\n  kinds: " +
            string.Join(", ", Kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"));
    }

    /// <summary>One case: a file (or something in its place) in pids/, maybe a planted lock beside it.</summary>
    private sealed record FuzzCase(string Kind, string FileName, byte[]? Content, string Shape, string? LockPlant, string Description);

    [Fact]
    public async Task Hundreds_of_fuzzed_pid_and_lock_files_never_get_a_process_adopted_reported_alive_or_signalled()
    {
        var rng = new Random(Seed);
        var tally = new Tally();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failures = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var c = Generate(rng, i);
            tally.Kinds[c.Kind] = tally.Kinds.GetValueOrDefault(c.Kind) + 1;
            var problem = await RunCase(c, rng, tally);
            if (problem is not null) failures.Add($"case {i} ({c.Description}): {problem}");
        }
        output.WriteLine(tally.Report());
        output.WriteLine($"  {Cases} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Equal(Cases, tally.Tried);
        Assert.Equal(Cases, tally.RefusedCorrectly);
        Assert.Equal(0, tally.WronglySignalled);
        Assert.Equal(0, tally.Leaks);
    }

    [Fact]
    public async Task Real_orphans_among_forgeries_are_stopped_and_only_they()
    {
        var rng = new Random(Seed + 1);
        var tally = new Tally();
        const int rounds = 6;
        for (var i = 0; i < rounds; i++)
        {
            ClearPids();
            // A real orphan: launched and recorded exactly as `up` does, its supervisor dead.
            var spec = _project.Daemon(SpecNames[i % 2], "--stdout-lines", "1");
            var orphan = Orphans.Leave(_project, Store, spec, 0, Session);
            tally.OrphansPlanted++;
            // Forgeries beside it, naming bystanders.
            for (var f = 0; f < 3; f++)
            {
                var c = Generate(rng, 1000 + i * 10 + f);
                if (c.Shape == "file" && c.Content is not null && c.LockPlant is null && !c.FileName.StartsWith(spec.Name + "-", StringComparison.Ordinal)
                    && !c.FileName.StartsWith(spec.Name + "@", StringComparison.Ordinal))
                    await File.WriteAllBytesAsync(Path.Combine(Store.PidDir, c.FileName), c.Content);
            }
            var stops = await Task.WhenAll(Store.Inspect().Select(r => OrphanStopper.StopAsync(Store, r, TimeSpan.FromMilliseconds(500), force: false)));
            Assert.Contains(stops, s => s.Kind == StopResult.Stopped && s.Pid == orphan.Pid);
            await orphan.Exit.WaitAsync(TimeSpan.FromSeconds(30));
            tally.OrphansStopped++;
            Assert.All(_bystanders, b => Assert.True(b.Untouched, b.Describe()));
        }
        output.WriteLine($"hostile fuzz positive control: real orphans stopped {tally.OrphansStopped} of {tally.OrphansPlanted}, bystanders signalled 0");
        ClearPids();
    }

    private FuzzCase Generate(Random rng, int index)
    {
        var target = _bystanders[rng.Next(_bystanders.Count)];
        var other = _bystanders[rng.Next(_bystanders.Count)];
        var started = target.Identity.StartedAtWallClock()!.Value;
        var name = rng.Next(10) switch
        {
            < 5 => SpecNames[rng.Next(SpecNames.Length)],
            5 => "x" + rng.Next(1000),
            6 => "../../escape",
            7 => "web\n",
            8 => "a/b",
            _ => new string('n', rng.Next(60, 80)),
        };
        var owner = rng.Next(6) switch { < 4 => Session, 4 => "other", _ => "../" + Session };
        var fileName = rng.Next(5) switch
        {
            0 => $"{name.Replace('/', '_').Replace('\n', '_')}-{owner.Replace('/', '_')}.pid",
            1 => $"{SpecNames[rng.Next(2)]}-{Session}.pid",
            2 => $"{SpecNames[rng.Next(2)]}@{Session}.pid",
            3 => $"junk{index}.pid",
            _ => PidFileStore.Stem(SpecNames[rng.Next(2)], Session) + ".pid",
        };

        var pidChoice = rng.Next(12);
        var pid = pidChoice switch
        {
            < 7 => target.Pid,
            7 => _deadPid,
            8 => -rng.Next(1, 100_000),
            9 => rng.Next(2) == 0 ? 0 : 4_194_304 + rng.Next(1000), // beyond pid_max
            10 => int.MaxValue,
            _ => Environment.ProcessId, // the supervisor itself
        };
        var kind = pidChoice switch { < 7 => "bystander", 7 => "dead", 8 => "negative", 9 => "zero-or-huge", 10 => "int.MaxValue", _ => "supervisor itself" };

        var json = new JsonObject
        {
            ["pid"] = pid,
            ["port"] = rng.Next(3) == 0 ? rng.Next(-5, 70000) : 0,
            ["owner_id"] = owner,
            ["command"] = rng.Next(5) switch
            {
                < 2 => TestDaemon.Path,
                2 => "/usr/local/bin/" + Path.GetFileName(TestDaemon.Path), // the same base name, another path
                3 => "sleep",
                _ => "",
            },
            ["started_at"] = (rng.Next(3) switch { 0 => started, 1 => started.AddSeconds(rng.Next(-30, 30)), _ => DateTimeOffset.UnixEpoch }).ToString("O"),
        };
        var ntm = rng.Next(3) == 0;
        if (!ntm)
        {
            json["name"] = rng.Next(4) == 0 ? "api" : name;
            if (rng.Next(4) > 0) json["process_start_time"] = rng.Next(3) == 0 ? target.Identity.StartTime + (ulong)rng.Next(1, 500) : target.Identity.StartTime;
            if (rng.Next(3) > 0) json["pgid"] = rng.Next(4) switch { 0 => other.Pid, 1 => -1, _ => pid };
            if (rng.Next(2) == 0) json["supervisor_pid"] = rng.Next(2) == 0 ? _deadPid : Environment.ProcessId;
            if (rng.Next(2) == 0) json["supervisor_start_time"] = rng.Next(2) == 0 ? 1 : ProcessIdentity.Self.StartTime;
            if (rng.Next(2) == 0) json["launch_id"] = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
            if (rng.Next(2) == 0)
            {
                var argv = new JsonArray();
                foreach (var a in rng.Next(3) == 0 ? ["sleep", "1000"] : ProcFs.CommandLine(target.Pid) ?? []) argv.Add(a);
                json["argv"] = argv;
            }
        }
        var text = json.ToJsonString();

        // Never a perfect copy of a bystander's identity (an independent oracle, not the code under test): that would be
        // a daemon, which the real-orphan spec covers. One flaw that every rule set catches: a launch id it does not carry.
        if (IsPerfect(json, target, ntm))
        {
            json["launch_id"] = "0123456789abcdef0123456789abcdef";
            text = json.ToJsonString();
        }

        var shape = rng.Next(40) switch
        {
            0 or 1 => "symlink",
            2 => "fifo",
            3 => "directory",
            4 => "hardlink",
            5 => "huge",
            6 => "empty",
            7 or 8 => "truncated",
            9 or 10 => "garbage",
            11 => "wrong-types",
            _ => "file",
        };
        byte[]? content = shape switch
        {
            "huge" => Encoding.UTF8.GetBytes(text[..^1] + ", \"pad\": \"" + new string('p', 100_000) + "\"}"),
            "empty" => [],
            "truncated" => Encoding.UTF8.GetBytes(text[..rng.Next(1, text.Length - 1)]),
            "garbage" => RandomBytes(rng, rng.Next(1, 600)),
            "wrong-types" => Encoding.UTF8.GetBytes(text.Replace($"\"pid\":{pid}", $"\"pid\":\"{pid}\"").Replace("\"port\":", "\"port\":[1],\"x\":")),
            _ => Encoding.UTF8.GetBytes(text),
        };
        var lockPlant = rng.Next(12) switch { 0 => "symlink", 1 => "fifo", 2 => "directory", 3 => "garbage", 4 => "foreign-owner", _ => null };
        var description = $"{kind}, {(ntm ? "NTM format" : "our format")}, {shape}{(lockPlant is null ? "" : $", lock {lockPlant}")}, file {fileName.Replace("\n", "\\n")}";
        return new FuzzCase($"{kind}/{shape}", fileName, content, shape, lockPlant, description);
    }

    /// <summary>Would this file describe the bystander exactly (then it would be its daemon, by any sane rule)?</summary>
    private static bool IsPerfect(JsonObject json, TargetProcess target, bool ntm)
    {
        if ((int)json["pid"]! != target.Pid || json["launch_id"] is not null) return false;
        var cmdline = ProcFs.CommandLine(target.Pid) ?? [];
        var command = (string)json["command"]!;
        if (cmdline.Count == 0 || command != cmdline[0]) return false;
        if (json["argv"] is JsonArray argv && !argv.Select(a => (string)a!).SequenceEqual(cmdline)) return false;
        if (json["pgid"] is { } g && (int)g != target.Pid) return false;
        if (ntm)
        {
            var at = DateTimeOffset.Parse((string)json["started_at"]!, System.Globalization.CultureInfo.InvariantCulture);
            return (at - target.Identity.StartedAtWallClock()!.Value).Duration() <= TimeSpan.FromSeconds(3);
        }
        return json["process_start_time"] is { } t && (ulong)t == target.Identity.StartTime;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var bytes = new byte[n];
        rng.NextBytes(bytes);
        return bytes;
    }

    private void Materialize(FuzzCase c)
    {
        var path = Path.Combine(Store.PidDir, c.FileName);
        switch (c.Shape)
        {
            case "symlink":
                File.WriteAllBytes(Victim + ".json", c.Content ?? []);
                File.CreateSymbolicLink(path, Victim + ".json");
                break;
            case "fifo":
                Assert.Equal(0, mkfifo(path, 0x180));
                break;
            case "directory":
                Directory.CreateDirectory(path);
                break;
            case "hardlink":
                File.WriteAllBytes(Victim + ".json", c.Content ?? []);
                Assert.Equal(0, link(Victim + ".json", path));
                break;
            default:
                File.WriteAllBytes(path, c.Content ?? []);
                break;
        }
        if (c.LockPlant is null) return;
        foreach (var spec in SpecNames)
        {
            var lockPath = Store.LockPathFor(spec, Session);
            switch (c.LockPlant)
            {
                case "symlink": File.CreateSymbolicLink(lockPath, Victim); break;
                case "fifo": mkfifo(lockPath, 0x180); break;
                case "directory": Directory.CreateDirectory(lockPath); break;
                case "garbage": File.WriteAllText(lockPath, "1 not a holder\n"); break;
                default:
                    File.WriteAllText(lockPath, "1\n");
                    File.SetUnixFileMode(lockPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    Chown(lockPath, 65534);
                    break;
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown(string path, int owner, int group);

    private static void Chown(string path, int uid) => Assert.Equal(0, lchown(path, uid, uid));

    private void ClearPids()
    {
        Store.EnsureDirectories();
        foreach (var entry in Directory.EnumerateFileSystemEntries(Store.PidDir))
        {
            if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        foreach (var extra in new[] { Victim + ".json" }) File.Delete(extra);
    }

    /// <summary>Runs one case as status, up and stop would. Returns null when everything held, else what went wrong.</summary>
    private async Task<string?> RunCase(FuzzCase c, Random rng, Tally tally)
    {
        tally.Tried++;
        var wrong = new List<string>();
        try
        {
            ClearPids();
            Materialize(c);

            // status
            foreach (var r in Store.Inspect())
                if (r.Info is { } info && r.Problem is null && Ownership.Verify(info, r.Name, r.Session).IsOurs)
                {
                    tally.ReportedAlive++;
                    wrong.Add($"status reports {r.Name} alive");
                }

            // up: the daemon's lock, then the adoption verdict
            foreach (var name in SpecNames)
            {
                var spec = new DaemonSpec { Name = name, Command = TestDaemon.Path, Args = (ProcFs.CommandLine(_bystanders[0].Pid) ?? []).Skip(1).ToArray() };
                DaemonLock? held;
                try { held = DaemonLock.TryAcquire(Store.LockPathFor(name, Session)); }
                catch (IOException) { continue; } // a planted lock file is refused: no start at all
                using (held)
                {
                    if (held is null) continue;
                    try
                    {
                        var verdict = Store.DecideAdoption(spec, Session);
                        if (verdict.Adopt is not null)
                        {
                            tally.WronglyAdopted++;
                            wrong.Add($"up would adopt pid {verdict.Adopt.Pid} as {name}");
                        }
                    }
                    catch (InvalidOperationException) { } // "already run by supervisor pid N": refused, nothing signalled
                    catch (IOException) { } // an unusable file that cannot be removed: refused
                }
            }

            // stop, the file put back as it was
            ClearPids();
            Materialize(c);
            foreach (var r in Store.Inspect())
            {
                var outcome = await OrphanStopper.StopAsync(Store, r, TimeSpan.FromMilliseconds(100), force: rng.Next(2) == 0);
                if (outcome.Kind == StopResult.Stopped) wrong.Add($"stop says it stopped {r.Name}: {outcome.Message}");
            }
        }
        catch (Exception e)
        {
            tally.Unexpected++;
            wrong.Add($"threw {e.GetType().Name}: {e.Message}");
        }

        foreach (var b in _bystanders.Where(b => !b.Untouched))
        {
            tally.WronglySignalled++;
            wrong.Add(b.Describe());
        }
        if (File.Exists(Victim) && File.ReadAllText(Victim) != VictimText) wrong.Add("the victim file was written through a link");
        var leftovers = Directory.EnumerateFileSystemEntries(Store.PidDir)
            .Select(Path.GetFileName)
            .Where(f => f!.EndsWith(".tmp", StringComparison.Ordinal) || (f.EndsWith(".lock", StringComparison.Ordinal) && c.LockPlant is null))
            .ToList();
        var strays = _project.LiveProcesses().Except(_bystanders.Select(b => b.Pid)).ToList();
        if (leftovers.Count > 0 || strays.Count > 0)
        {
            tally.Leaks++;
            wrong.Add($"left behind: files [{string.Join(", ", leftovers)}], processes [{string.Join(", ", strays)}]");
        }
        if (wrong.Count == 0) tally.RefusedCorrectly++;
        return wrong.Count == 0 ? null : string.Join("; ", wrong);
    }

    private int _deadPid;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Victim, VictimText);
        _deadPid = Orphans.DeadProcess().Pid;
        _bystanders.AddRange(await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TargetProcess.StartAsync(_project.Tag))));
        Store.EnsureDirectories();
    }

    public async Task DisposeAsync()
    {
        foreach (var b in _bystanders) b.Dispose();
        ClearPids();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
