namespace ActorSupervisor.Tests.Support;

/// <summary>
/// What test daemons wrote about their lives with --record-signals (or <see cref="Variable"/> in their environment):
/// lines "&lt;pid&gt; start", "&lt;pid&gt; SIGTERM" (one per signal caught), "&lt;pid&gt; exit N". A process killed by
/// SIGKILL writes no exit line: that is how a test tells a forced kill from a graceful stop.
/// </summary>
public sealed class SignalRecord(string path)
{
    /// <summary>The test daemon's environment variable for the record file (tests/ActorSupervisor.TestDaemon/Options.cs).</summary>
    public const string Variable = "TESTDAEMON_RECORD_SIGNALS";

    public string Path { get; } = path;

    /// <summary>The record file a spec's environment names, if any.</summary>
    public static SignalRecord? Of(ActorSupervisor.Daemons.DaemonSpec spec) =>
        spec.Env.FirstOrDefault(e => e.StartsWith(Variable + "=", StringComparison.Ordinal)) is { } entry
            ? new SignalRecord(entry[(Variable.Length + 1)..])
            : null;

    /// <summary>Every event of <paramref name="pid"/>, in order.</summary>
    public IReadOnlyList<string> EventsOf(int pid)
    {
        var prefix = pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ";
        return Lines().Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]).ToList();
    }

    /// <summary>The pids that recorded their start, in order.</summary>
    public IReadOnlyList<int> Started =>
        Lines().Where(l => l.EndsWith(" start", StringComparison.Ordinal)).Select(l => int.Parse(l[..l.IndexOf(' ')])).ToList();

    private IEnumerable<string> Lines() => File.Exists(Path) ? File.ReadAllLines(Path).Where(l => l.Length > 0) : [];

    public async Task WaitFor(int pid, string evt, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!EventsOf(pid).Contains(evt))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"pid {pid} never recorded '{evt}': {Describe(pid)}");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Until each process has recorded its start, which it does once its signal handlers are in place: a daemon
    /// signalled before that dies of the signal's default action, as any process would, and leaves no record.
    /// </summary>
    public async Task WaitForStart(params int[] pids)
    {
        foreach (var pid in pids) await WaitFor(pid, "start");
    }

    /// <summary>Stopped by SIGTERM alone: it caught SIGTERM and then exited 0 by itself, so no SIGKILL was needed.</summary>
    public void AssertStoppedGracefully(int pid, string who)
    {
        var events = EventsOf(pid);
        Assert.True(events.Contains("SIGTERM") && events.Count > 0 && events[^1] == "exit 0",
            $"{who} (pid {pid}) was not stopped gracefully by SIGTERM: {Describe(pid)}");
    }

    /// <summary>It ended without a SIGKILL: it wrote an exit line (after SIGTERM, with code 0).</summary>
    public void AssertExitedByItself(int pid, string who)
    {
        var events = EventsOf(pid);
        var exit = events.LastOrDefault(e => e.StartsWith("exit ", StringComparison.Ordinal));
        Assert.True(exit is not null, $"{who} (pid {pid}) was killed (no exit recorded): {Describe(pid)}");
        if (events.Contains("SIGTERM")) Assert.True(exit == "exit 0", $"{who} (pid {pid}) exited badly after SIGTERM: {Describe(pid)}");
    }

    /// <summary>Killed: no exit line (SIGKILL cannot be caught).</summary>
    public void AssertKilled(int pid, string who) =>
        Assert.True(EventsOf(pid).All(e => !e.StartsWith("exit ", StringComparison.Ordinal)), $"{who} (pid {pid}) was not killed: {Describe(pid)}");

    public string Describe(int pid) => $"[{string.Join(", ", EventsOf(pid))}] in {Path}";
}
