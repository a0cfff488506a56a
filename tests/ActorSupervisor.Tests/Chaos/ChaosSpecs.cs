using System.Diagnostics;
using System.Text.Json;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Chaos;

/// <summary>
/// Twenty daemons under `actorsupervisor up`; a loop kill -9s random daemons and, a few times, the supervisor itself,
/// restarting it with the same session. At the end every daemon runs exactly once, and after shutdown nothing is
/// left. The suite runs it for about 40 seconds (longer only on a machine too loaded to fit its kills in); set
/// ACTORSUPERVISOR_CHAOS_SECONDS for a longer run by hand.
/// Everything it writes stays in its own temp project dir.
/// </summary>
public sealed class ChaosSpecs(ITestOutputHelper output) : IDisposable
{
    private const int Daemons = 20;
    private readonly TestProject _project = new("chaos");
    private readonly List<UpProcess> _supervisors = [];
    private readonly List<string> _killLog = [];

    // A generous grace: nothing here ignores SIGTERM, and the end checks each daemon went by SIGTERM alone, which
    // twenty .NET processes stopping at once on a busy 2-core machine may not manage within 2 s.
    private UpProcess StartSupervisor(string specs) {
        var up = UpProcess.Start("--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId,
            "--backoff-min", "20ms", "--backoff-max", "200ms", "--max-restarts", "1000", "--health-interval", "500ms", "--stop-grace", "10s");
        _supervisors.Add(up);
        return up;
    }

    /// <summary>Live daemons by name: processes tagged for this test, grouped by the name each carries in its environment.</summary>
    private Dictionary<string, List<int>> LiveByName()
    {
        var byName = new Dictionary<string, List<int>>();
        foreach (var pid in _project.LiveProcesses())
        {
            string environ;
            try { environ = File.ReadAllText($"/proc/{pid}/environ"); }
            catch (IOException) { continue; }
            var name = environ.Split('\0').FirstOrDefault(e => e.StartsWith("CHAOS_NAME=", StringComparison.Ordinal))?[11..];
            if (name is null) continue;
            if (!byName.TryGetValue(name, out var pids)) byName[name] = pids = [];
            pids.Add(pid);
        }
        return byName;
    }

    /// <summary>Until `up` has issued (and so adopted or started) every daemon; before that, old PID files still look current.</summary>
    private static async Task AwaitSupervisorUp(UpProcess up)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!up.Lines.Any(l => l.Contains("supervisor=up")))
        {
            if (DateTime.UtcNow > deadline || up.HasExited) throw new TimeoutException("supervisor never came up:\n" + up.Output);
            await Task.Delay(20);
        }
    }

    private async Task AwaitAllRunningOnce(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var live = LiveByName();
            var pidFiles = _project.Store.List();
            var settled = live.Count == Daemons && live.Values.All(p => p.Count == 1)
                          && pidFiles.Count == Daemons && pidFiles.All(e => e.Info.IsAlive && live[e.Name][0] == e.Info.Pid);
            if (settled) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not settled: {live.Count} names live, doubles: " +
                    string.Join(", ", live.Where(kv => kv.Value.Count > 1).Select(kv => $"{kv.Key}x{kv.Value.Count}")) +
                    $"; {pidFiles.Count} pid files");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Daemons_and_the_supervisor_killed_at_random_end_with_every_daemon_running_exactly_once_and_nothing_left()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("ACTORSUPERVISOR_CHAOS_SECONDS"), out var s) ? s : 40;
        var random = new Random(12345);
        var specs = Path.Combine(_project.Dir, "specs.json");
        var list = Enumerable.Range(0, Daemons).Select(i =>
        {
            var spec = i % 2 == 0 ? _project.HttpDaemon($"d{i:00}") : _project.Daemon($"d{i:00}");
            return spec with { Env = [.. spec.Env, $"CHAOS_NAME=d{i:00}"] };
        }).ToList();
        await File.WriteAllTextAsync(specs, JsonSerializer.Serialize(list));

        // A bystander whose PID and group a stale PID file claims: it leads its own group, so a wrongful group
        // signal would reach it, and it records every signal it gets. It must never be signalled.
        using var bystander = await Bystander.StartAsync(_project);
        _project.Store.EnsureDirectories();
        _project.Store.Write("d19", new PidFileInfo
        {
            Pid = bystander.Pid, OwnerId = _project.SessionId, Command = "x", Name = "d19",
            ProcessStartTime = bystander.Identity.StartTime + 1, ProcessGroup = bystander.Pid,
        });

        var up = StartSupervisor(specs);
        await AwaitSupervisorUp(up);
        await AwaitAllRunningOnce(TimeSpan.FromSeconds(60));
        int daemonKills = 0, supervisorKills = 0, adoptions = 0, killsUnderLastSupervisor = 0;
        var clock = Stopwatch.StartNew();
        // The chaos goes on for its seconds, and then, on a machine so loaded that restarts and adoptions ate them,
        // until its three supervisor kills and twenty-odd daemon kills are done (within five times as long).
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds)
               || ((supervisorKills < 3 || daemonKills <= 20) && clock.Elapsed < TimeSpan.FromSeconds(5 * seconds)))
        {
            if (supervisorKills < 3 && clock.Elapsed > TimeSpan.FromSeconds(seconds * (supervisorKills + 1) / 4.0))
            {
                // Kill the supervisor with SIGKILL, then start it again with the same session: it must adopt.
                await AwaitAllRunningOnce(TimeSpan.FromSeconds(60));
                var before = _project.Store.List().ToDictionary(e => e.Name, e => e.Info.Pid);
                up.Signal(Native.SIGKILL);
                await up.WaitForExit(TimeSpan.FromSeconds(30));
                supervisorKills++;
                Assert.Equal(Daemons, LiveByName().Count); // persistent daemons outlive their supervisor
                up = StartSupervisor(specs);
                killsUnderLastSupervisor = 0;
                await AwaitSupervisorUp(up);
                await AwaitAllRunningOnce(TimeSpan.FromSeconds(60));
                adoptions += _project.Store.List().Count(e => before.GetValueOrDefault(e.Name) == e.Info.Pid);
                continue;
            }

            // kill -9 a random daemon, but only a process that provably is one of this test's.
            var live = LiveByName();
            var victims = live.Values.Where(p => p.Count == 1).Select(p => p[0]).ToList();
            if (victims.Count > 0)
            {
                var victim = victims[random.Next(victims.Count)];
                if (_project.LiveProcesses().Contains(victim) && Native.kill(victim, Native.SIGKILL) == 0)
                {
                    daemonKills++;
                    killsUnderLastSupervisor++;
                    _killLog.Add($"{DateTime.UtcNow:HH:mm:ss.fff} kill {victim} {live.First(kv => kv.Value.Contains(victim)).Key}");
                }
            }
            await Task.Delay(random.Next(50, 250));
        }

        await AwaitAllRunningOnce(TimeSpan.FromSeconds(60));
        var lastPids = _project.Store.List().ToDictionary(e => e.Name, e => e.Info.Pid);
        await _project.Signals.WaitForStart([.. lastPids.Values]); // a daemon restarted a moment ago may still be booting
        up.Signal(Native.SIGTERM);
        Assert.Equal(0, await up.WaitForExit(TimeSpan.FromSeconds(60)));
        var restartLines = _supervisors.Sum(x => x.Lines.Count(l => l.Contains("state=restarting")));
        // A SIGKILLed supervisor loses the lines still in its stdout buffer; the last one exits cleanly, so its count is exact.
        var lastRestarts = up.Lines.Count(l => l.Contains("state=restarting"));

        output.WriteLine($"chaos: {seconds} s, {daemonKills} daemon kills, {supervisorKills} supervisor kills, " +
                         $"{adoptions} adoptions, {restartLines} restarts logged ({lastRestarts} for the last supervisor's {killsUnderLastSupervisor} kills)");
        Assert.Equal(3, supervisorKills);
        Assert.Equal(3 * Daemons, adoptions); // every daemon adopted after every supervisor kill
        Assert.True(daemonKills > 20, $"only {daemonKills} kills");
        if (killsUnderLastSupervisor != lastRestarts)
            foreach (var line in _killLog.Concat(up.Lines)) output.WriteLine(line);
        Assert.Equal(killsUnderLastSupervisor, lastRestarts); // every kill seen and restarted
        Assert.True(restartLines >= daemonKills * 0.9, $"{restartLines} restarts logged for {daemonKills} kills");
        bystander.AssertNeverSignalled();
        bystander.Dispose();
        // The last supervisor stopped every daemon it ran with SIGTERM alone.
        foreach (var (name, pid) in lastPids) _project.Signals.AssertStoppedGracefully(pid, name);
        await _project.AssertNothingLeftBehind();
        Assert.Empty(Directory.GetFiles(_project.Store.PidDir)); // no lock file either
    }

    public void Dispose()
    {
        foreach (var up in _supervisors) up.Dispose();
        _project.Dispose();
    }
}
