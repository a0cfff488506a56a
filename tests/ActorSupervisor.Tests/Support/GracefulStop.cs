using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// Test teardown that fails the test when a stop was not graceful. <see cref="Supervisor.ShutdownAsync"/> swallows
/// an Ask timeout, and a daemon actor torn down with the ActorSystem SIGKILLs what is left, so a teardown that
/// merely shuts down would hide a stop that hung or needed SIGKILL. This stops through StopAllAsync (whose timeout
/// throws), checks every daemon ended stopped, and checks in the test daemons' signal record that each one that was
/// running exited by itself after SIGTERM.
/// </summary>
public static class GracefulStop
{
    /// <param name="killExpected">Daemons the test made ignore SIGTERM: their SIGKILL is the expected outcome.</param>
    public static async Task StopAllAndShutdown(Supervisor supervisor, params string[] killExpected)
    {
        await StopAll(supervisor, killExpected);
        await supervisor.ShutdownAsync();
    }

    /// <summary>As <see cref="StopAllAndShutdown"/>, leaving the supervisor (and its ActorSystem) up.</summary>
    public static async Task StopAll(Supervisor supervisor, params string[] killExpected)
    {
        if (supervisor.System.WhenTerminated.IsCompleted) return;
        var before = await supervisor.StatusAsync();
        // A daemon is judged only once its handlers are in place (it recorded its start): one signalled while the
        // runtime still boots dies of SIGTERM's default action, as any process would. Running without a health check
        // only means it has been up for the settle time.
        var judged = new List<(string Name, ManagedDaemon Daemon, SignalRecord Record)>();
        foreach (var (name, daemon) in before)
        {
            if (daemon.State != DaemonState.Running || daemon.Pid <= 0 || SignalRecord.Of(daemon.Spec) is not { } record) continue;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!record.EventsOf(daemon.Pid).Contains("start") && ProcessScan.IsAlive(daemon.Pid) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            if (record.EventsOf(daemon.Pid).Contains("start")) judged.Add((name, daemon, record));
        }
        var final = await supervisor.StopAllAsync();
        foreach (var (name, daemon) in final)
            Assert.True(daemon.State is DaemonState.Stopped or DaemonState.Failed,
                $"{name} ended {daemon.State.ToWord()} after StopAll");

        // Only daemons that were up: one starting or restarting may be between processes, or mid-crash.
        foreach (var (name, daemon, record) in judged)
        {
            if (killExpected.Contains(name)) record.AssertKilled(daemon.Pid, name);
            else record.AssertExitedByItself(daemon.Pid, name);
        }
    }
}
