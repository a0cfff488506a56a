using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// A supervisor SIGKILLed between spawning a daemon and writing its PID file: every daemon it spawned is still found,
/// by the launch tag in its environment, by `status`, `stop --all` and the next `up` of the session. Finding 7.
/// </summary>
public sealed class UntrackedLaunchSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<CliProcess> _clis = [];
    private readonly List<DaemonProcess> _orphans = [];

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_project, [.. args, "--project-dir", _project.Dir]);

    private static List<JsonElement> Rows(CliResult status)
    {
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    [Fact]
    public async Task A_daemon_spawned_without_a_pid_file_is_listed_by_status_and_stopped_by_stop_all()
    {
        var orphan = Orphans.Launch(_project, _project.Store, _project.Daemon("web"), 0, supervisor: Orphans.DeadProcess());
        _orphans.Add(orphan);
        Assert.DoesNotContain(_project.PidFiles(), f => f.EndsWith(".pid", StringComparison.Ordinal));

        // Its environment is laid out a moment after posix_spawn returns.
        List<JsonElement> rows = [];
        for (var i = 0; i < 100 && rows.Count == 0; i++)
        {
            rows = Rows(await Run("status", "--json"));
            if (rows.Count == 0) await Task.Delay(20);
        }
        var row = Assert.Single(rows);
        Assert.Equal("web", row.GetProperty("name").GetString());
        Assert.Equal(orphan.Pid, row.GetProperty("pid").GetInt32());
        Assert.True(row.GetProperty("alive").GetBoolean());
        Assert.True(row.GetProperty("untracked").GetBoolean());
        Assert.False(row.GetProperty("supervisor_alive").GetBoolean());

        var stop = await Run("stop", "--all");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"web (session {_project.SessionId}, pid {orphan.Pid}, no PID file): stopped", stop.Out);
        await orphan.Exit.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Whenever_up_is_killed_during_a_mass_start_every_daemon_it_spawned_is_found_and_none_is_started_twice()
    {
        const int count = 80;
        var specs = Enumerable.Range(1, count)
            .Select(i => new DaemonSpec { Name = $"s{i}", Command = "sleep", Args = ["1000"], Env = [$"{TestProject.TagVariable}={_project.Tag}"] })
            .ToArray();
        var specFile = Path.Combine(_project.Dir, "specs.json");
        await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(specs));
        var pids = Path.Combine(_project.Dir, ".ntm", "pids");

        var up = CliProcess.Start(_project, "up", "--specs", specFile, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _clis.Add(up);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((!Directory.Exists(pids) || Directory.GetFiles(pids, "*.pid").Length < count / 2) && DateTime.UtcNow < deadline)
            await Task.Delay(1);
        up.Signal(Native.SIGKILL); // in the middle of the mass start
        await up.WaitForExitAsync();

        var spawned = _project.LiveProcesses();
        var recorded = Directory.GetFiles(pids, "*.pid").Length;
        var listed = Rows(await Run("status", "--json")).Where(r => r.GetProperty("alive").GetBoolean())
            .Select(r => r.GetProperty("pid").GetInt32()).ToHashSet();
        output.WriteLine($"killed up with {spawned.Count} of {count} daemons spawned, {recorded} PID files written; status lists {listed.Count} alive");
        Assert.All(spawned, pid => Assert.Contains(pid, listed));

        var again = CliProcess.Start(_project, "up", "--specs", specFile, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _clis.Add(again);
        foreach (var spec in specs) await again.WaitForState(spec.Name, "running");
        var running = _project.LiveProcesses().Where(p => p != again.Pid).ToList(); // `up` itself carries the tag too
        Assert.Equal(count, running.Count); // every one spawned before is adopted, the rest started: none twice
        Assert.All(spawned, pid => Assert.Contains(pid, running));

        again.Signal(Native.SIGTERM);
        Assert.Equal(0, await again.WaitForExitAsync());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cli in _clis) cli.Dispose();
        foreach (var orphan in _orphans.Where(o => !o.HasExited)) await orphan.StopAsync(TimeSpan.FromSeconds(2));
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
