using System.Diagnostics;
using System.Text.Json.Nodes;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// The forgeries that would be catastrophic on the host, made harmless by a PID namespace (`unshare --pid --fork
/// --mount-proc`): PID files naming pid 1 and groups 0 and 1, where kill(-1) reaches every process. Inside, pid 1 and
/// two bystanders (each leading its own session) record every signal; `status`, `stop --all --force` and `up` run
/// inside the namespace through nsenter. Nothing may be signalled. Finding 1 (a file naming pid 1 made `stop --all`
/// SIGTERM and SIGKILL every process of the namespace).
/// </summary>
public sealed class PidNamespaceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Session = "ns";
    private readonly TestProject _project = new(Session);
    private readonly List<Process> _processes = [];
    private string File(string name) => Path.Combine(_project.Dir, name);

    private static (int Code, string Output) Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private Process Start(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        _processes.Add(p);
        return p;
    }

    /// <summary>The signals recorded (the test daemon writes "&lt;pid&gt; &lt;event&gt;" lines: start, SIGxxx, exit N).</summary>
    private static IReadOnlyList<string> Signals(string file) => System.IO.File.Exists(file)
        ? System.IO.File.ReadAllLines(file).Select(l => l.Split(' ', 2) is [_, var e] ? e : l).Where(e => e.StartsWith("SIG", StringComparison.Ordinal)).ToList()
        : [];

    [Fact]
    public async Task Pid_files_naming_pid_1_or_groups_0_and_1_get_nothing_signalled_inside_a_pid_namespace()
    {
        var probe = Run("unshare", "--pid", "--fork", "--mount-proc", "true");
        if (probe.Code != 0)
        {
            // Not a skip attribute: the reason is printed, and every other hostile spec still runs on the host.
            output.WriteLine($"PID namespace cases not run: `unshare --pid --fork --mount-proc` is unavailable here ({probe.Output.Trim()})");
            return;
        }

        // pid 1 of the namespace: a bystander that records what it receives (init ignores only what it has no handler
        // for), leading session and group 1, as a container's init does.
        var initSignals = File("init.signals");
        var ns = Start("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--",
            TestDaemon.Path, "--setsid", "--record-signals", initSignals, "--ready-file", File("init.ready"));
        await Poll.Until(() => System.IO.File.Exists(File("init.ready")), "the namespace's init did not start");
        var initHost = ProcFs.Children(ns.Id).Single();
        var init = ProcFs.Stat(initHost)!.Value;

        // Two bystanders inside, each its own session and group; their pids as seen inside.
        var bystanders = new List<(string Signals, int Pid, int HostPid, ulong Start)>();
        for (var i = 0; i < 2; i++)
        {
            var nsenter = Start("nsenter", "-t", initHost.ToString(), "-p", "-m", "--",
                TestDaemon.Path, "--setsid", "--record-signals", File($"b{i}.signals"), "--ready-file", File($"b{i}.ready"), "--pid-file", File($"b{i}.pid"));
            await Poll.Until(() => System.IO.File.Exists(File($"b{i}.ready")) && System.IO.File.Exists(File($"b{i}.pid")), "a bystander did not start");
            var host = ProcFs.Children(nsenter.Id).Single();
            bystanders.Add((File($"b{i}.signals"), int.Parse(System.IO.File.ReadAllText(File($"b{i}.pid"))), host, ProcFs.Stat(host)!.Value.StartTime));
        }
        var initArgv = ProcFs.CommandLine(initHost)!;
        var initStarted = ProcFs.WallClock(init.StartTime)!.Value;
        var dead = Orphans.DeadProcess();

        var store = _project.Store;
        store.EnsureDirectories();
        void Forge(string name, JsonObject json) => System.IO.File.WriteAllText(store.PathFor(name, Session), json.ToJsonString());
        JsonObject Ntm(int pid, string command, DateTimeOffset started) => new()
        {
            ["pid"] = pid, ["port"] = 0, ["owner_id"] = Session, ["command"] = command, ["started_at"] = started.ToString("O"),
        };
        JsonObject Ours(string name, int pid, ulong start, int pgid, IReadOnlyList<string> argv)
        {
            var json = Ntm(pid, argv[0], initStarted);
            json["name"] = name;
            json["process_start_time"] = start;
            json["pgid"] = pgid;
            json["supervisor_pid"] = dead.Pid;
            json["supervisor_start_time"] = dead.StartTime;
            json["argv"] = new JsonArray(argv.Select(a => (JsonNode)a!).ToArray());
            return json;
        }
        var b0 = bystanders[0];
        var b0Argv = ProcFs.CommandLine(b0.HostPid)!;
        // Exactly what made `stop --all` send SIGTERM and SIGKILL to group 1 (kill(-1): every process in the namespace).
        Forge("init1", Ntm(1, initArgv[0], initStarted));
        Forge("init2", Ntm(1, "/usr/bin/" + Path.GetFileName(initArgv[0]), initStarted)); // the base-name match
        Forge("init3", Ours("init3", 1, init.StartTime, 1, initArgv));
        Forge("group0", Ours("group0", b0.Pid, b0.Start, 0, b0Argv));
        Forge("group1", Ours("group1", b0.Pid, b0.Start, 1, b0Argv));
        Forge("negative", Ours("negative", -1, 0, -1, b0Argv));
        Forge("zero", Ours("zero", 0, 0, 0, b0Argv));
        Forge("supervisor1", Set(Ours("supervisor1", b0.Pid, b0.Start + 1, b0.Pid, b0Argv), "supervisor_pid", 1));
        const int forged = 8;

        string[] Inside(params string[] args) => ["-t", initHost.ToString(), "-p", "-m", "--", CliProcess.ExecutablePath, .. args];
        var status = Run("nsenter", Inside("status", "--json", "--project-dir", _project.Dir));
        var stop = Run("nsenter", Inside("stop", "--all", "--force", "--stop-grace", "300ms", "--project-dir", _project.Dir));

        // `up` of a daemon whose PID file forges pid 1 (its start time, group 1): never adopted, nothing signalled.
        var specs = File("specs.json");
        System.IO.File.WriteAllText(specs, """[{"name": "web", "command": "sleep", "args": ["1000"]}]""");
        Forge("web", Ours("web", 1, init.StartTime, 1, initArgv));
        var up = Run("nsenter", "-t", initHost.ToString(), "-p", "-m", "--", "timeout", "--preserve-status", "-s", "TERM", "3",
            CliProcess.ExecutablePath, "up", "--specs", specs, "--project-dir", _project.Dir, "--session", Session, "--stop-grace", "300ms");

        var received = new Dictionary<string, IReadOnlyList<string>> { ["init"] = Signals(initSignals) };
        foreach (var (b, i) in bystanders.Select((b, i) => (b, i))) received[$"bystander {i}"] = Signals(b.Signals);
        var alive = bystanders.All(b => ProcFs.Stat(b.HostPid) is { IsZombie: false } s && s.StartTime == b.Start);
        var wrongly = received.Values.Sum(r => r.Count) + (alive ? 0 : 1);
        var leftovers = System.IO.Directory.GetFiles(store.PidDir);
        output.WriteLine($"hostile PID namespace: cases tried {forged + 1}, refused correctly {(wrongly == 0 ? forged + 1 : 0)}, " +
                         $"processes wrongly signalled {wrongly}, files left {leftovers.Length}");
        output.WriteLine($"status: {status.Output.Length} bytes; stop exit {stop.Code}; up exit {up.Code}");

        Assert.True(status.Code == 0, status.Output);
        Assert.True(stop.Code == 0, stop.Output);
        Assert.True(up.Code == 0, up.Output);
        Assert.All(received, r => Assert.True(r.Value.Count == 0, $"{r.Key} received {string.Join(", ", r.Value)}"));
        Assert.True(alive, "a bystander inside the namespace died");
        Assert.Contains("never a daemon", stop.Output);
        Assert.Empty(leftovers);
    }

    private static JsonObject Set(JsonObject json, string key, int value)
    {
        json[key] = value;
        return json;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
            await p.WaitForExitAsync();
            p.Dispose();
        }
        foreach (var f in _project.PidFiles()) System.IO.File.Delete(f);
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
