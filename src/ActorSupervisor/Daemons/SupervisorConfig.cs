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

    /// <summary>This config with every zero replaced by its default (hocon/reference.conf) and ProjectDir made absolute.</summary>
    public SupervisorConfig WithDefaults() => Configuration.SupervisorSettings.Apply(this, Akka.Configuration.Config.Empty) with
    {
        ProjectDir = string.IsNullOrEmpty(ProjectDir) ? ProjectDir : Path.GetFullPath(ProjectDir),
    };

    /// <summary>The folder holding pids/ and logs/.</summary>
    public string StateRoot => Path.Combine(ProjectDir, string.IsNullOrEmpty(StateDir) ? WithDefaults().StateDir : StateDir);
}
