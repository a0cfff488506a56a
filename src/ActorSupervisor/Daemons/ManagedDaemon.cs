using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// A snapshot of one supervised daemon. Immutable: every query hands out a fresh copy the caller may keep or change.
/// </summary>
public sealed record ManagedDaemon
{
    [JsonPropertyName("spec")] public required DaemonSpec Spec { get; init; }
    [JsonPropertyName("state")] public DaemonState State { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("port")] public int Port { get; init; }
    // Go writes an unset time.Time as 0001-01-01T00:00:00Z; it reads here as unset (null).
    [JsonPropertyName("started_at"), JsonConverter(typeof(NtmTimeConverter))] public DateTimeOffset? StartedAt { get; init; }
    [JsonPropertyName("last_health"), JsonConverter(typeof(NtmTimeConverter))] public DateTimeOffset? LastHealth { get; init; }

    /// <summary>All restarts of this daemon, for display; not reset by a stable run.</summary>
    [JsonPropertyName("restarts")] public int Restarts { get; init; }

    [JsonPropertyName("owner_id")] public string OwnerId { get; init; } = "";

    // Ours beyond NTM's fields.
    [JsonPropertyName("consecutive_failures")] public int ConsecutiveFailures { get; init; }
    [JsonPropertyName("log_path")] public string? LogPath { get; init; }
    [JsonPropertyName("adopted")] public bool Adopted { get; init; }
    [JsonPropertyName("last_failure")] public FailureRecord? LastFailure { get; init; }

    /// <summary>Why the daemon is in its state, when that needs saying ("waiting for db (healthy)", "dependency db failed").</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }

    /// <summary>A one-shot task (restart on-failure or never) whose last run exited 0: stopped, and done.</summary>
    [JsonPropertyName("completed")] public bool Completed { get; init; }

    [JsonIgnore] public string Name => Spec.Name;

    public ManagedDaemon DeepCopy() => this with { Spec = Spec.DeepCopy(), LastFailure = LastFailure?.DeepCopy() };
}

/// <summary>Why the last run ended badly: what an operator needs to see without opening the log.</summary>
public sealed record FailureRecord
{
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";

    /// <summary>What kind of failure it was, for metrics and scripts (the reason says it in words).</summary>
    [JsonPropertyName("kind")] public FailureKind Kind { get; init; }
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
    [JsonPropertyName("signal")] public int? Signal { get; init; }
    [JsonPropertyName("probe_error")] public string? ProbeError { get; init; }
    [JsonPropertyName("log_tail")] public IReadOnlyList<string> LogTail { get; init; } = [];
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }

    public FailureRecord DeepCopy() => this with { LogTail = LogTail.ToArray() };

    public override string ToString()
    {
        var how = Signal is { } s ? $"signal {s}" : ExitCode is { } c ? $"exit code {c}" : null;
        var parts = new[] { Reason, how, ProbeError }.Where(p => !string.IsNullOrEmpty(p));
        return string.Join("; ", parts);
    }
}

/// <summary>The kinds of failure, as a few stable words for metric labels and scripts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
public enum FailureKind
{
    /// <summary>Not said (a record written by an older version).</summary>
    [JsonStringEnumMemberName("other")] Other,

    /// <summary>The process exited on its own, with an exit code.</summary>
    [JsonStringEnumMemberName("exit")] Exit,

    /// <summary>The process was killed by a signal it did not ask for.</summary>
    [JsonStringEnumMemberName("signal")] Signal,

    /// <summary>Its health check failed FailureThreshold times in a row.</summary>
    [JsonStringEnumMemberName("health")] Health,

    /// <summary>It was not healthy within the startup timeout.</summary>
    [JsonStringEnumMemberName("startup_timeout")] StartupTimeout,

    /// <summary>It could not be launched (a missing binary, a port it must have, an unreadable env_file).</summary>
    [JsonStringEnumMemberName("cannot_launch")] CannotLaunch,

    /// <summary>A dependency failed before this daemon could start.</summary>
    [JsonStringEnumMemberName("dependency")] Dependency,

    /// <summary>The supervisor itself could not go on with it (its PID file, a lock, an unexpected error).</summary>
    [JsonStringEnumMemberName("supervisor")] Supervisor,
}
