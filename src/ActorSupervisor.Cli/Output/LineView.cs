using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// For a pipe or a file: stdout carries only the fixed lines of <see cref="LogLine"/> (one per state change, no
/// redraws), so a script can parse every line; what a person wants to read besides goes to stderr.
/// </summary>
internal sealed class LineView : UpView
{
    public override void Starting(SupervisorConfig config, string specsSource, int daemons)
    {
        if (!StandardStreams.StdoutUsable)
            Diagnostics.Write("actorsupervisor: warning: stdout is closed; state lines are not written (the daemons run as usual)");
        Diagnostics.Write(
            $"actorsupervisor: session {config.SessionId} (pid {Environment.ProcessId}), project {config.ProjectDir}, " +
            $"{daemons} daemon(s) from {specsSource}; health-interval={Duration.Format(config.HealthInterval)} " +
            $"max-restarts={config.MaxRestarts} backoff-min={Duration.Format(config.RestartBackoffMin)} " +
            $"backoff-max={Duration.Format(config.RestartBackoffMax)} stop-grace={Duration.Format(config.StopGrace)} " +
            $"state-dir={config.StateRoot}");
    }

    public override void Launched(ManagedDaemon daemon) =>
        Diagnostics.Write(daemon.Pid == 0
            ? $"actorsupervisor: {daemon.Name}: {daemon.Reason}"
            : $"actorsupervisor: {(daemon.Adopted ? "adopted" : "started")} {daemon.Name} pid={daemon.Pid} " +
              $"port={daemon.Port} log={daemon.LogPath}");

    // The error may quote a spec's command, which may hold any character: one line, escaped.
    public override void LaunchFailed(string name, string error) =>
        Diagnostics.Write($"actorsupervisor: {name} did not start: {SpecProblem.Show(error, 1000)}");

    public override void AllStartsIssued(SupervisorConfig config, int daemons) =>
        Out(LogLine.SupervisorUp(DateTimeOffset.UtcNow, config.SessionId, Environment.ProcessId, daemons));

    public override Task ShowAsync(Func<Task<IReadOnlyDictionary<string, ManagedDaemon>>> poll, Task finished) => finished;

    public override void Stopping(string why) => Diagnostics.Write($"actorsupervisor: {why}: stopping every daemon");

    public override void Stopped(IReadOnlyDictionary<string, ManagedDaemon> final) =>
        Out(LogLine.SupervisorStopped(DateTimeOffset.UtcNow));

    protected override void Show(SupervisorEvents.DaemonStateChanged change)
    {
        // A start is announced once its process exists, so every "starting" line carries the daemon's pid, except
        // one waiting for its dependencies, which says so.
        if (change.State == DaemonState.Starting && change.Daemon.Pid == 0 && change.Daemon.Reason is null) return;
        Out(LogLine.State(DateTimeOffset.UtcNow, change.Daemon));
    }

    private static void Out(string line)
    {
        // `up >&-` runs as well as with stdout on /dev/null: the state lines are simply not written.
        if (!StandardStreams.StdoutUsable) return;
        try { Console.Out.WriteLine(line); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
