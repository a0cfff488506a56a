using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// A snapshot of one supervised daemon: its spec, state, process and history at one moment. The facade hands out
/// deep copies the caller may keep; a snapshot received from the actor protocol or an event is shared, so take
/// <see cref="DeepCopy"/> before changing its lists. JSON names are NTM's (<c>ntm</c> reads this as its ManagedDaemon).
/// </summary>
public sealed record ManagedDaemon
{
    /// <summary>The spec the daemon runs (for a restart with a new spec, the new one).</summary>
    [JsonPropertyName("spec")] public required DaemonSpec Spec { get; init; }
    /// <summary>Where the daemon is in its life; see <see cref="DaemonState"/>.</summary>
    [JsonPropertyName("state")] public DaemonState State { get; init; }
    /// <summary>
    /// The process id of the daemon's current process (also its process group and session id); 0 while it has none
    /// (waiting to start, between restarts, stopped, failed).
    /// </summary>
    [JsonPropertyName("pid")] public int Pid { get; init; }
    /// <summary>The TCP port the daemon was given on 127.0.0.1; 0 when it has none.</summary>
    [JsonPropertyName("port")] public int Port { get; init; }
    // Go writes an unset time.Time as 0001-01-01T00:00:00Z; it reads here as unset (null).
    /// <summary>When the current process was launched (or, adopted, when it started); null before the first launch.</summary>
    [JsonPropertyName("started_at"), JsonConverter(typeof(NtmTimeConverter))] public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the daemon last passed a health check; null if it never did or has none.</summary>
    [JsonPropertyName("last_health"), JsonConverter(typeof(NtmTimeConverter))] public DateTimeOffset? LastHealth { get; init; }

    /// <summary>All restarts of this daemon, for display; not reset by a stable run.</summary>
    [JsonPropertyName("restarts")] public int Restarts { get; init; }

    /// <summary>The session that supervises the daemon (<see cref="SupervisorConfig.SessionId"/>).</summary>
    [JsonPropertyName("owner_id")] public string OwnerId { get; init; } = "";

    // Ours beyond NTM's fields.
    /// <summary>
    /// Failed runs in a row since the last stable run; the daemon is left failed when this passes its MaxRestarts.
    /// A run that stays healthy for the stable period resets it to 0.
    /// </summary>
    [JsonPropertyName("consecutive_failures")] public int ConsecutiveFailures { get; init; }
    /// <summary>
    /// The file the daemon's stdout and stderr are appended to (<c>&lt;state dir&gt;/logs/&lt;name&gt;-&lt;session&gt;.log</c>);
    /// null before its first launch.
    /// </summary>
    [JsonPropertyName("log_path")] public string? LogPath { get; init; }
    /// <summary>
    /// The current process was not launched by this supervisor but adopted: a previous supervisor of the session
    /// started it, and its PID file proved it is that daemon. No exit code is known when an adopted process ends.
    /// </summary>
    [JsonPropertyName("adopted")] public bool Adopted { get; init; }
    /// <summary>Why the last failed run ended, with its log tail; null if no run has failed.</summary>
    [JsonPropertyName("last_failure")] public FailureRecord? LastFailure { get; init; }

    /// <summary>Why the daemon is in its state, when that needs saying ("waiting for db (healthy)", "dependency db failed").</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }

    /// <summary>A one-shot task (restart on-failure or never) whose last run exited 0: stopped, and done.</summary>
    [JsonPropertyName("completed")] public bool Completed { get; init; }

    /// <summary>The daemon's name (<see cref="DaemonSpec.Name"/>); not written to JSON.</summary>
    [JsonIgnore] public string Name => Spec.Name;

    /// <summary>A copy that shares no list with this one (spec and failure record copied too), to keep or change.</summary>
    public ManagedDaemon DeepCopy() => this with { Spec = Spec.DeepCopy(), LastFailure = LastFailure?.DeepCopy() };
}

/// <summary>Why the last run ended badly: what an operator needs to see without opening the log.</summary>
public sealed record FailureRecord
{
    /// <summary>What happened, in words, as an operator would say it (the process exited, its health check kept failing, ...).</summary>
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";

    /// <summary>What kind of failure it was, for metrics and scripts (the reason says it in words).</summary>
    [JsonPropertyName("kind")] public FailureKind Kind { get; init; }
    /// <summary>The process's exit code, when it exited on its own and was our child; null otherwise.</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
    /// <summary>The number of the signal that killed the process (9 for SIGKILL), when one did; null otherwise.</summary>
    [JsonPropertyName("signal")] public int? Signal { get; init; }
    /// <summary>The last health probe's error ("connection refused", "HTTP 503"), for a health or startup failure.</summary>
    [JsonPropertyName("probe_error")] public string? ProbeError { get; init; }
    /// <summary>The last lines of the daemon's log (up to 10) when the run ended; empty if it logged nothing.</summary>
    [JsonPropertyName("log_tail")] public IReadOnlyList<string> LogTail { get; init; } = [];
    /// <summary>When the failure was seen.</summary>
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }

    /// <summary>A copy that shares no list with this one.</summary>
    public FailureRecord DeepCopy() => this with { LogTail = LogTail.ToArray() };

    /// <summary>The failure in one line: reason, then signal or exit code, then probe error, joined with "; ".</summary>
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
