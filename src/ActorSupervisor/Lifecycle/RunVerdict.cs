namespace ActorSupervisor.Lifecycle;

/// <summary>What follows a failed run of a daemon.</summary>
internal enum RunVerdict
{
    /// <summary>A new generation starts after the backoff delay.</summary>
    Restart,

    /// <summary>No further generation: the daemon is failed (MaxRestarts runs in a row failed, or it cannot be launched at all).</summary>
    GiveUp,
}

/// <summary>The restart rules, in one place, for the daemon actor that applies them and the specs that test them.</summary>
internal static class RestartRules
{
    /// <summary>
    /// After a failed run. <paramref name="failuresBefore"/> is how many runs in a row failed before this one (the
    /// BackoffSupervisor's restart count), so a daemon gets MaxRestarts restarts: MaxRestarts + 1 runs in a row. A
    /// daemon that never launched and cannot launch (a missing binary, a port it must have) is given up at once:
    /// retrying cannot help, and the caller of Start hears why immediately.
    /// </summary>
    public static RunVerdict AfterFailure(int failuresBefore, int maxRestarts, bool cannotLaunch, bool everLaunched) =>
        (cannotLaunch && !everLaunched) || failuresBefore >= maxRestarts ? RunVerdict.GiveUp : RunVerdict.Restart;

    /// <summary>
    /// The delay before restart n+1 after <paramref name="failuresBefore"/> = n earlier failures in a row, as the
    /// BackoffSupervisor computes it (without jitter): min(max, min * 2^n). For the daemon's log and for display; the
    /// BackoffSupervisor itself does the waiting.
    /// </summary>
    public static TimeSpan BackoffDelay(int failuresBefore, TimeSpan min, TimeSpan max) =>
        failuresBefore >= 30 ? max : TimeSpan.FromTicks((long)Math.Min(max.Ticks, min.Ticks * Math.Pow(2, failuresBefore)));
}
