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
