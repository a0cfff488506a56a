using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// What `up` shows while it runs: fixed log lines when stdout is a pipe or file (<see cref="LineView"/>), a live table
/// when it is a terminal (<see cref="LiveView"/>). Both keep the latest snapshot of every daemon from the events.
/// </summary>
internal abstract class UpView
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ManagedDaemon> _latest = new(StringComparer.Ordinal);

    /// <summary>A live table on a terminal; the fixed lines on anything else, including a closed stdout (written nowhere).</summary>
    public static UpView ForConsole() =>
        !StandardStreams.StdoutUsable || Console.IsOutputRedirected ? new LineView() : new LiveView();

    /// <summary>Before anything starts: the session and the settings in force after flags, spec file and defaults.</summary>
    public abstract void Starting(SupervisorConfig config, string specsSource, int daemons);

    public abstract void Launched(ManagedDaemon daemon);

    public abstract void LaunchFailed(string name, string error);

    public abstract void AllStartsIssued(SupervisorConfig config, int daemons);

    /// <summary>Runs until <paramref name="finished"/> completes (the live table's redraw loop; nothing for lines).</summary>
    public abstract Task ShowAsync(Func<Task<IReadOnlyDictionary<string, ManagedDaemon>>> poll, Task finished);

    public abstract void Stopping(string why);

    public abstract void Stopped(IReadOnlyDictionary<string, ManagedDaemon> final);

    /// <summary>Called by the supervisor's subscription, one event at a time, in order.</summary>
    public void StateChanged(SupervisorEvents.DaemonStateChanged change)
    {
        lock (_gate) _latest[change.Name] = change.Daemon;
        try { Show(change); }
        // stdout closed under us: keep supervising, the daemons matter more than the log.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    protected abstract void Show(SupervisorEvents.DaemonStateChanged change);

    protected IReadOnlyList<ManagedDaemon> Latest()
    {
        lock (_gate) return _latest.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Takes health times from a status query, which events do not carry (a health check is not a state change).</summary>
    protected void MergeHealth(IReadOnlyDictionary<string, ManagedDaemon> status)
    {
        lock (_gate)
        {
            foreach (var (name, polled) in status)
            {
                if (!_latest.TryGetValue(name, out var known)) continue;
                if (polled.LastHealth > known.LastHealth) _latest[name] = known with { LastHealth = polled.LastHealth };
            }
        }
    }

    /// <summary>
    /// Waits (briefly) until the events for the final states have been shown: they are published before the shutdown
    /// is answered, but reach the subscription a moment later, and "stopped" must be the last line.
    /// </summary>
    public async Task DrainAsync(IReadOnlyDictionary<string, ManagedDaemon> final)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            bool caughtUp;
            lock (_gate)
                caughtUp = final.All(kv => _latest.TryGetValue(kv.Key, out var seen) && seen.State == kv.Value.State);
            if (caughtUp) return;
            await Task.Delay(10);
        }
    }
}
