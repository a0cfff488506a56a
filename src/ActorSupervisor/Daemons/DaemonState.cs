using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>NTM's daemon states; serialized as the lower-case words (<see cref="DaemonStateExtensions.ToWord"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DaemonState>))]
public enum DaemonState
{
    /// <summary>
    /// Launched and not yet healthy (or settled, without a health check), or waiting for its dependencies before its
    /// launch (pid 0, with a reason).
    /// </summary>
    [JsonStringEnumMemberName("starting")] Starting,

    /// <summary>Its process has passed a health check, or stayed up the settle time when it has none.</summary>
    [JsonStringEnumMemberName("running")] Running,

    /// <summary>Its process group is being stopped: the stop signal sent, SIGKILL after the grace period.</summary>
    [JsonStringEnumMemberName("stopping")] Stopping,

    /// <summary>Stopped on request, or a one-shot task that completed; final until it is started again.</summary>
    [JsonStringEnumMemberName("stopped")] Stopped,

    /// <summary>
    /// Given up: it failed more than MaxRestarts runs in a row, could not be launched, or a dependency failed. Final
    /// until it is started again; <see cref="ManagedDaemon.LastFailure"/> says why.
    /// </summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>A run failed and another will follow after the backoff delay; no process meanwhile (pid 0).</summary>
    [JsonStringEnumMemberName("restarting")] Restarting,

    /// <summary>
    /// NTM upstream's word: the process runs but its health check fails (a daemon with on_unhealthy = mark keeps it);
    /// back to running when a probe passes.
    /// </summary>
    [JsonStringEnumMemberName("unhealthy")] Unhealthy,
}

/// <summary>Helpers for <see cref="DaemonState"/>.</summary>
public static class DaemonStateExtensions
{
    /// <summary>
    /// The state as NTM writes it, the same word as in JSON: <c>starting</c>, <c>running</c>, <c>stopping</c>, <c>stopped</c>,
    /// <c>failed</c>, <c>restarting</c>, <c>unhealthy</c>. Allocation-free for every defined state.
    /// </summary>
    public static string ToWord(this DaemonState state) => state switch
    {
        DaemonState.Starting => "starting",
        DaemonState.Running => "running",
        DaemonState.Stopping => "stopping",
        DaemonState.Stopped => "stopped",
        DaemonState.Failed => "failed",
        DaemonState.Restarting => "restarting",
        DaemonState.Unhealthy => "unhealthy",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// True in the states in which the daemon has, or is about to have, a process of ours: every state but stopped and
    /// failed.
    /// </summary>
    public static bool IsActive(this DaemonState state) =>
        state is DaemonState.Starting or DaemonState.Running or DaemonState.Restarting or DaemonState.Stopping
            or DaemonState.Unhealthy;
}
