using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>What a daemon waits for from one of its dependencies before it is launched.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DependencyCondition>))]
public enum DependencyCondition
{
    /// <summary>The dependency's process has been launched.</summary>
    [JsonStringEnumMemberName("started")] Started,

    /// <summary>The dependency has passed its first health probe (or settled, when it has no health check).</summary>
    [JsonStringEnumMemberName("healthy")] Healthy,

    /// <summary>The dependency, a one-shot task (restart on-failure or never), has exited with code 0.</summary>
    [JsonStringEnumMemberName("completed")] Completed,
}

/// <summary>When a daemon whose process ends is started again.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RestartPolicy>))]
public enum RestartPolicy
{
    /// <summary>After every failed run, exit code 0 included (NTM's behaviour), up to MaxRestarts in a row.</summary>
    [JsonStringEnumMemberName("always")] Always,

    /// <summary>After a failed run, but exit code 0 ends the daemon: stopped, completed.</summary>
    [JsonStringEnumMemberName("on-failure")] OnFailure,

    /// <summary>Never: exit code 0 ends the daemon stopped and completed, any other end leaves it failed.</summary>
    [JsonStringEnumMemberName("never")] Never,
}

/// <summary>What a failing health check does to a running daemon.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UnhealthyAction>))]
public enum UnhealthyAction
{
    /// <summary>The run fails: the process is stopped and restarted after the backoff (liveness).</summary>
    [JsonStringEnumMemberName("restart")] Restart,

    /// <summary>
    /// The daemon is marked unhealthy and its process kept; it is running again when a probe passes (NTM upstream's
    /// behaviour). The health check still gates dependents that wait for it to be healthy (readiness).
    /// </summary>
    [JsonStringEnumMemberName("mark")] Mark,
}
