namespace ActorSupervisor.Daemons;

/// <summary>
/// How a session supervises its daemons. As in NTM, a zero value means "use the default",
/// so <c>new SupervisorConfig { SessionId = "s", ProjectDir = "." }</c> is a complete config.
/// </summary>
public sealed record SupervisorConfig
{
    public static readonly TimeSpan DefaultHealthInterval = TimeSpan.FromSeconds(5);
    public const int DefaultMaxRestarts = 5;
    public static readonly TimeSpan DefaultRestartBackoffMax = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultRestartBackoffMin = TimeSpan.FromSeconds(1);
    public const int DefaultFailureThreshold = 3;
    public static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStablePeriod = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultSettleTime = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultStartupProbeInterval = TimeSpan.FromMilliseconds(100);
    public const string DefaultStateDirName = ".ntm";
    public const long DefaultLogMaxBytes = 10 * 1024 * 1024;
    public const int DefaultLogKeep = 3;

    // NTM's fields.
    public string SessionId { get; init; } = "";
    public string ProjectDir { get; init; } = "";
    public TimeSpan HealthInterval { get; init; }
    public int MaxRestarts { get; init; }
    public TimeSpan RestartBackoffMax { get; init; }

    // Ours.
    public TimeSpan RestartBackoffMin { get; init; }

    /// <summary>Random factor added to each backoff delay (0.2 = up to 20% longer). Default 0.</summary>
    public double BackoffJitter { get; init; }

    /// <summary>Failed probes in a row that fail a run.</summary>
    public int FailureThreshold { get; init; }

    /// <summary>A run with a health check that is not healthy within this time has failed.</summary>
    public TimeSpan StartupTimeout { get; init; }

    /// <summary>A run healthy for this long resets the consecutive-failure count.</summary>
    public TimeSpan StablePeriod { get; init; }

    /// <summary>Time between SIGTERM and SIGKILL when stopping.</summary>
    public TimeSpan StopGrace { get; init; }

    public TimeSpan ProbeTimeout { get; init; }

    /// <summary>A daemon without a health check counts as running once its process has stayed up this long.</summary>
    public TimeSpan SettleTime { get; init; }

    /// <summary>How often a starting daemon is probed, until its first healthy answer (then HealthInterval).</summary>
    public TimeSpan StartupProbeInterval { get; init; }

    /// <summary>Folder under ProjectDir for pids/ and logs/ (NTM's ".ntm"); may be absolute.</summary>
    public string StateDir { get; init; } = "";

    public long LogMaxBytes { get; init; }
    public int LogKeep { get; init; }

    /// <summary>This config with every zero replaced by its default and ProjectDir made absolute.</summary>
    public SupervisorConfig WithDefaults() => this with
    {
        ProjectDir = string.IsNullOrEmpty(ProjectDir) ? ProjectDir : Path.GetFullPath(ProjectDir),
        HealthInterval = OrDefault(HealthInterval, DefaultHealthInterval),
        MaxRestarts = MaxRestarts == 0 ? DefaultMaxRestarts : MaxRestarts,
        RestartBackoffMax = OrDefault(RestartBackoffMax, DefaultRestartBackoffMax),
        RestartBackoffMin = OrDefault(RestartBackoffMin, DefaultRestartBackoffMin),
        FailureThreshold = FailureThreshold == 0 ? DefaultFailureThreshold : FailureThreshold,
        StartupTimeout = OrDefault(StartupTimeout, DefaultStartupTimeout),
        StablePeriod = OrDefault(StablePeriod, DefaultStablePeriod),
        StopGrace = OrDefault(StopGrace, DefaultStopGrace),
        ProbeTimeout = OrDefault(ProbeTimeout, DefaultProbeTimeout),
        SettleTime = OrDefault(SettleTime, DefaultSettleTime),
        StartupProbeInterval = OrDefault(StartupProbeInterval, DefaultStartupProbeInterval),
        StateDir = string.IsNullOrEmpty(StateDir) ? DefaultStateDirName : StateDir,
        LogMaxBytes = LogMaxBytes == 0 ? DefaultLogMaxBytes : LogMaxBytes,
        LogKeep = LogKeep == 0 ? DefaultLogKeep : LogKeep,
    };

    /// <summary>The folder holding pids/ and logs/.</summary>
    public string StateRoot => Path.Combine(ProjectDir, string.IsNullOrEmpty(StateDir) ? DefaultStateDirName : StateDir);

    private static TimeSpan OrDefault(TimeSpan value, TimeSpan fallback) => value == TimeSpan.Zero ? fallback : value;
}
