using System.Diagnostics;
using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// Programs that daemonize themselves (fork, setsid, fork; the process we started exits 0). The supervisor is a child
/// subreaper, so what they detach stays within reach and is reaped; a daemon is running only while the process we
/// started runs (supervisord's answer), so such a run fails with a reason that says why, and everything it detached is
/// killed before the next run and at stop. After a clean `up` exit nothing it or its daemons started survives. Finding 11.
/// </summary>
public sealed class DaemonizingSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<Supervisor> _supervisors = [];
    private readonly List<CliProcess> _clis = [];

    [Fact]
    public async Task A_daemon_that_daemonizes_itself_fails_its_runs_saying_why_and_each_detached_copy_is_killed()
    {
        var supervisor = Supervisor.New(_project.Config(c => c with { MaxRestarts = 2 }));
        _supervisors.Add(supervisor);
        // The copy it detaches listens on the daemon's port, as the real ones do.
        var started = await supervisor.StartAsync(_project.HttpDaemon("web", "--daemonize", "1"));
        _project.RememberPort(started.Port);

        ManagedDaemon? failed = null;
        await Poll.Until(() => (failed = supervisor.GetDaemonAsync("web").Result) is { State: DaemonState.Failed }, "web never failed");

        Assert.Contains("exited unexpectedly, leaving 1 detached process", failed!.LastFailure!.Reason);
        Assert.Contains("daemonized itself", failed.LastFailure.Reason);
        Assert.Equal(0, failed.LastFailure.ExitCode);
        await _project.AssertNothingLeftBehind(); // no copy holds the port
    }

    [Fact]
    public async Task The_supervisor_is_a_child_subreaper_and_reaps_what_it_kills_of_a_detached_descendant()
    {
        var process = Orphans.Launch(_project, _project.Store, _project.Daemon("web", "--daemonize", "1"), 0);
        var exit = await process.Exit.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit.ExitCode);
        var copy = Assert.Single(exit.Detached);
        Assert.True(Reaper.IsSubreaper);
        Assert.Equal(Environment.ProcessId, ProcFs.Stat(copy)!.Value.ParentPid); // reparented to us, not to init
        // ...and handed to our main thread, the one thread whose children a crash's look for detached descendants reads.
        Assert.Contains(copy, ProcFs.ThreadChildren(Environment.ProcessId, Environment.ProcessId));

        process.Kill(); // the leader is gone: what is left of the daemon is found by its launch tag
        await Poll.Until(() => ProcFs.Stat(copy) is null, $"pid {copy} was not reaped (a zombie of ours would remain)");
        File.Delete(_project.Store.LogPathFor("web", _project.SessionId));
    }

    [Fact]
    public async Task Exit_statuses_of_our_own_children_are_never_taken_by_the_reaper()
    {
        var sweeping = true;
        var sweeper = Task.Run(() => { while (Volatile.Read(ref sweeping)) Reaper.Sweep(); });
        try
        {
            var daemons = Enumerable.Range(0, 10).Select(_ => DaemonProcess.Launch(new LaunchRequest
            {
                Argv = [TestDaemon.Path, "--exit-after", "50ms", "--exit-code", "7"], WorkDir = _project.Dir,
                LogPath = Path.Combine(_project.Dir, "logs", "d.log"), Environment = [new(TestProject.TagVariable, _project.Tag)],
            })).ToList();
            // .NET's own Process children too: the runtime fails the whole process if another reaper takes one of them.
            var shells = Enumerable.Range(0, 10).Select(_ => Process.Start(new ProcessStartInfo("sh", "-c \"exit 3\"") { UseShellExecute = false })!).ToList();

            foreach (var d in daemons) Assert.Equal(7, (await d.Exit.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
            foreach (var s in shells)
            {
                await s.WaitForExitAsync();
                Assert.Equal(3, s.ExitCode);
                s.Dispose();
            }
        }
        finally
        {
            Volatile.Write(ref sweeping, false);
            await sweeper;
        }
    }

    [Fact]
    public async Task After_up_exits_cleanly_nothing_its_daemons_detached_survives()
    {
        DaemonSpec[] specs =
        [
            // fork + setsid (+ exec): a copy of `sleep` leading a session of its own, reparented to `up`.
            new() { Name = "forker", Command = "/bin/sh", Args = ["-c", "setsid -f sleep 1000; exec sleep 1000"], Env = [$"{TestProject.TagVariable}={_project.Tag}"] },
            // fork, setsid, fork: a grandchild in a session it does not lead.
            new() { Name = "doubler", Command = "/bin/sh", Args = ["-c", "setsid -f sh -c 'sleep 1000 & sleep 1000'; exec sleep 1000"], Env = [$"{TestProject.TagVariable}={_project.Tag}"] },
        ];
        var specFile = Path.Combine(_project.Dir, "specs.json");
        await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(specs));
        var up = CliProcess.Start(_project, "up", "--specs", specFile, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _clis.Add(up);
        await up.WaitForState("forker", "running");
        await up.WaitForState("doubler", "running");
        await Poll.Until(() => _project.LiveProcesses().Count >= 1 + 2 + 3, "the daemons did not detach their copies");

        up.Signal(Native.SIGTERM);
        Assert.Equal(0, await up.WaitForExitAsync());

        await _project.AssertNothingLeftBehind();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
        foreach (var cli in _clis) cli.Dispose();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
