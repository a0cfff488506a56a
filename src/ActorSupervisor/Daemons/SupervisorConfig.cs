namespace ActorSupervisor.Daemons;

/// <summary>
/// How a session supervises its daemons. As in NTM, a zero value means "use the default",
/// so <c>new SupervisorConfig { SessionId = "s", ProjectDir = "." }</c> is a complete config. The defaults have one
/// home, hocon/reference.conf (embedded in the library); <see cref="WithDefaults"/> reads them from there. As in NTM
/// upstream, a negative MaxRestarts means no restart at all.
/// </summary>
public sealed record SupervisorConfig
{
    // NTM's fields.

    /// <summary>
    /// The session's id: 1 to 64 of <c>[A-Za-z0-9._-]</c>, not starting with '.' or '-'. It names the PID files, logs and
    /// the session actor, and tells this session's daemons from other sessions' under the same project. Required.
    /// </summary>
    public string SessionId { get; init; } = "";

    /// <summary>
    /// The project's directory, which must exist: the state dir is under it, and daemons without a work_dir run in it.
    /// Required; made absolute by <see cref="WithDefaults"/>.
    /// </summary>
    public string ProjectDir { get; init; } = "";

    /// <summary>Time between two health probes of a running daemon. Zero: the default, 5 s.</summary>
    public TimeSpan HealthInterval { get; init; }

    /// <summary>
    /// Restarts in a row after which a daemon is left failed (MaxRestarts + 1 runs). Zero: the default, 5; negative:
    /// never restart (NTM upstream's meaning).
    /// </summary>
    public int MaxRestarts { get; init; }

    /// <summary>The longest delay before a restart. Zero: the default, 60 s.</summary>
    public TimeSpan RestartBackoffMax { get; init; }

    // Ours.

    /// <summary>
    /// The delay before the first restart in a row, doubled for each further one up to <see cref="RestartBackoffMax"/>
    /// (restart n waits min(max, min * 2^(n-1))). Zero: the default, 1 s. Must not exceed RestartBackoffMax.
    /// </summary>
    public TimeSpan RestartBackoffMin { get; init; }

    /// <summary>Random factor, 0 to 1, added to each backoff delay (0.2 = up to 20% longer). Zero: the default, none.</summary>
    public double BackoffJitter { get; init; }

    /// <summary>Failed health probes in a row that fail a running daemon's run. Zero: the default, 3.</summary>
    public int FailureThreshold { get; init; }

    /// <summary>
    /// A launched daemon with a health check that is not healthy within this time has failed its run. Zero: the
    /// default, 30 s.
    /// </summary>
    public TimeSpan StartupTimeout { get; init; }

    /// <summary>A run healthy for this long resets the count of consecutive failures. Zero: the default, 30 s.</summary>
    public TimeSpan StablePeriod { get; init; }

    /// <summary>
    /// Time between the stop signal (SIGTERM unless the spec says otherwise) and SIGKILL when stopping a daemon's process
    /// group. Zero: the default, 2 s.
    /// </summary>
    public TimeSpan StopGrace { get; init; }

    /// <summary>The deadline of one health probe (HTTP, TCP, MCP or command). Zero: the default, 2 s.</summary>
    public TimeSpan ProbeTimeout { get; init; }

    /// <summary>
    /// A daemon without a health check counts as running once its process has stayed up this long. Zero: the default, 1 s.
    /// </summary>
    public TimeSpan SettleTime { get; init; }

    /// <summary>
    /// How often a starting daemon is probed, until its first healthy answer (then <see cref="HealthInterval"/>). Zero:
    /// the default, 100 ms.
    /// </summary>
    public TimeSpan StartupProbeInterval { get; init; }

    /// <summary>
    /// The folder of pids/, logs/ and the session's other files: relative to ProjectDir, or absolute. Empty: the
    /// default, ".ntm" (NTM's).
    /// </summary>
    public string StateDir { get; init; } = "";

    /// <summary>A daemon's log file is rotated (copied, then truncated) past this many bytes. Zero: the default, 10 MiB.</summary>
    public long LogMaxBytes { get; init; }

    /// <summary>Rotated copies of a daemon's log kept beside it. Zero: the default, 3.</summary>
    public int LogKeep { get; init; }

    /// <summary>
    /// This config with every zero replaced by its default (hocon/reference.conf) and ProjectDir made absolute. Does
    /// not read any ActorSystem's <c>actorsupervisor { }</c> settings and does not validate.
    /// </summary>
    public SupervisorConfig WithDefaults() => Configuration.SupervisorSettings.Apply(this, Akka.Configuration.Config.Empty) with
    {
        ProjectDir = string.IsNullOrEmpty(ProjectDir) ? ProjectDir : Path.GetFullPath(ProjectDir),
    };

    /// <summary>The absolute folder holding pids/ and logs/: <see cref="StateDir"/> (or its default) under ProjectDir.</summary>
    public string StateRoot => Path.Combine(ProjectDir, string.IsNullOrEmpty(StateDir) ? WithDefaults().StateDir : StateDir);
}
