using ActorSupervisor.Daemons;

namespace ActorSupervisor.Lifecycle;

/// <summary>What follows the end of a daemon's run (one that was not asked to stop).</summary>
internal enum RunVerdict
{
    /// <summary>A new generation starts after the backoff delay.</summary>
    Restart,

    /// <summary>No further generation: the daemon is failed (MaxRestarts runs in a row failed, restart = never, or it cannot be launched at all).</summary>
    GiveUp,

    /// <summary>No further generation, and nothing failed: a one-shot task exited 0 (restart = on-failure or never). The daemon is stopped, completed.</summary>
    Complete,
}

/// <summary>The restart rules, in one place, for the daemon actor that applies them and the specs that test them.</summary>
internal static class RestartRules
{
    /// <summary>
    /// After a failed run. <paramref name="failuresBefore"/> is how many runs in a row failed before this one (the
    /// BackoffSupervisor's restart count), so a daemon gets MaxRestarts restarts: MaxRestarts + 1 runs in a row. A
    /// daemon that never launched and cannot launch (a missing binary, a port it must have) is given up at once:
    /// retrying cannot help, and the caller of Start hears why immediately. With restart = never nothing is retried.
    /// </summary>
    public static RunVerdict AfterFailure(int failuresBefore, int maxRestarts, bool cannotLaunch, bool everLaunched,
        RestartPolicy policy = RestartPolicy.Always) =>
        policy == RestartPolicy.Never || (cannotLaunch && !everLaunched) || failuresBefore >= maxRestarts
            ? RunVerdict.GiveUp
            : RunVerdict.Restart;

    /// <summary>
    /// After the run's process exited on its own. Exit code 0 counts as a failure under restart = always (NTM's rule:
    /// a daemon is meant to keep running); under on-failure and never it completes the daemon.
    /// </summary>
    public static RunVerdict AfterExit(int? exitCode, RestartPolicy policy, int failuresBefore, int maxRestarts) =>
        exitCode == 0 && policy != RestartPolicy.Always
            ? RunVerdict.Complete
            : AfterFailure(failuresBefore, maxRestarts, cannotLaunch: false, everLaunched: true, policy);

    /// <summary>
    /// The delay before restart n+1 after <paramref name="failuresBefore"/> = n earlier failures in a row, as the
    /// BackoffSupervisor computes it (without jitter): min(max, min * 2^n). For the daemon's log and for display; the
    /// BackoffSupervisor itself does the waiting.
    /// </summary>
    public static TimeSpan BackoffDelay(int failuresBefore, TimeSpan min, TimeSpan max) =>
        failuresBefore >= 30 ? max : TimeSpan.FromTicks((long)Math.Min(max.Ticks, min.Ticks * Math.Pow(2, failuresBefore)));
}
