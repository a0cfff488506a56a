using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>NTM's daemon states; serialized as the lower-case words.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DaemonState>))]
public enum DaemonState
{
    [JsonStringEnumMemberName("starting")] Starting,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("stopping")] Stopping,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("restarting")] Restarting,

    /// <summary>
    /// NTM upstream's word: the process runs but its health check fails (a daemon with on_unhealthy = mark keeps it);
    /// back to running when a probe passes.
    /// </summary>
    [JsonStringEnumMemberName("unhealthy")] Unhealthy,
}

public static class DaemonStateExtensions
{
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

    /// <summary>States in which the daemon has, or is about to have, a process of ours.</summary>
    public static bool IsActive(this DaemonState state) =>
        state is DaemonState.Starting or DaemonState.Running or DaemonState.Restarting or DaemonState.Stopping
            or DaemonState.Unhealthy;
}
