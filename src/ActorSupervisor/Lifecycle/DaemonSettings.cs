using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Lifecycle;

/// <summary>
/// The settings one daemon runs with: the session's (defaults applied), overridden by whatever its spec sets. The one
/// place that decides which wins, so the daemon actor, its BackoffSupervisor and the docs agree.
/// </summary>
internal sealed record DaemonSettings
{
    public required TimeSpan HealthInterval { get; init; }
    public required TimeSpan StartupProbeInterval { get; init; }
    public required TimeSpan StartupTimeout { get; init; }
    public required TimeSpan ProbeTimeout { get; init; }
    public required TimeSpan StopGrace { get; init; }
    public required int StopSignal { get; init; }
    public required int MaxRestarts { get; init; }
    public required TimeSpan BackoffMin { get; init; }
    public required TimeSpan BackoffMax { get; init; }
    public required double BackoffJitter { get; init; }
    public required int FailureThreshold { get; init; }
    public required TimeSpan StablePeriod { get; init; }
    public required TimeSpan SettleTime { get; init; }
    public required RestartPolicy Restart { get; init; }
    public required UnhealthyAction OnUnhealthy { get; init; }

    /// <summary><paramref name="config"/> must have its defaults applied; the spec must be valid.</summary>
    public static DaemonSettings For(DaemonSpec spec, SupervisorConfig config)
    {
        var backoffMin = spec.BackoffMin ?? config.RestartBackoffMin;
        var backoffMax = spec.BackoffMax ?? config.RestartBackoffMax;
        return new DaemonSettings
        {
            HealthInterval = spec.HealthInterval ?? config.HealthInterval,
            StartupProbeInterval = config.StartupProbeInterval,
            StartupTimeout = spec.StartupTimeout ?? config.StartupTimeout,
            ProbeTimeout = spec.HealthTimeout ?? config.ProbeTimeout,
            StopGrace = spec.StopGrace ?? config.StopGrace,
            StopSignal = StopSignals.Parse(spec.StopSignal) ?? Native.SIGTERM,
            MaxRestarts = spec.MaxRestarts ?? config.MaxRestarts,
            // A per-daemon minimum above the session's maximum (or the reverse) raises the other to match.
            BackoffMin = backoffMin,
            BackoffMax = backoffMax < backoffMin ? backoffMin : backoffMax,
            BackoffJitter = config.BackoffJitter,
            FailureThreshold = config.FailureThreshold,
            StablePeriod = config.StablePeriod,
            SettleTime = config.SettleTime,
            Restart = spec.Restart,
            OnUnhealthy = spec.OnUnhealthy,
        };
    }
}
