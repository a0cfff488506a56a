using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;

namespace ActorSupervisor.Observability;

/// <summary>
/// The library's metrics, on the <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>: add it
/// to an OpenTelemetry pipeline (<c>metrics.AddMeter(SupervisorMetrics.MeterName)</c>) or read it with any
/// MeterListener. Every instrument is tagged with the session, and the per-daemon ones with the daemon.
/// <list type="bullet">
/// <item><c>actorsupervisor.daemons</c> (gauge): daemons by <c>state</c>, from the event stream.</item>
/// <item><c>actorsupervisor.daemon.restarts</c> (counter): restarts by <c>daemon</c> and <c>reason</c>
/// (exit, signal, health, startup_timeout, other, requested), from the event stream.</item>
/// <item><c>actorsupervisor.probe.duration</c> (histogram, s) by <c>daemon</c> and <c>result</c> (healthy, unhealthy).</item>
/// <item><c>actorsupervisor.probe.failures</c> (counter) by <c>daemon</c>.</item>
/// <item><c>actorsupervisor.launch.duration</c> (histogram, s): from a generation's launch order to its process
/// existing (spawned or adopted), by <c>daemon</c>.</item>
/// </list>
/// </summary>
public static class SupervisorMetrics
{
    /// <summary>
    /// The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>, <c>"ActorSupervisor"</c>: what
    /// <c>AddMeter</c> or a MeterListener subscribes to.
    /// </summary>
    public const string MeterName = "ActorSupervisor";

    private static readonly Meter Meter = new(MeterName, typeof(SupervisorMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Restarts = Meter.CreateCounter<long>("actorsupervisor.daemon.restarts", "{restart}",
        "Restarts of a daemon: after a failed run (reason = the failure's kind) or on request (reason = requested).");

    /// <summary>Seconds, from half a millisecond (a local probe, a spawn) to ten seconds (a hung probe's timeout).</summary>
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private static readonly Histogram<double> ProbeDuration = Meter.CreateHistogram("actorsupervisor.probe.duration", "s",
        "Time a health probe took, healthy or not.", advice: Seconds);

    private static readonly Counter<long> ProbeFailures = Meter.CreateCounter<long>("actorsupervisor.probe.failures", "{probe}",
        "Health probes that failed (including those during start-up, before the daemon was first healthy).");

    private static readonly Histogram<double> LaunchDuration = Meter.CreateHistogram("actorsupervisor.launch.duration", "s",
        "Time from a generation's launch order to its process existing (spawned or adopted).", advice: Seconds);

    /// <summary>One table per ActorSystem watched; the gauge sums them.</summary>
    private static readonly ConcurrentDictionary<DaemonStateTable, byte> Tables = new();

    static SupervisorMetrics()
    {
        Meter.CreateObservableGauge("actorsupervisor.daemons", ObserveDaemons, "{daemon}", "Daemons by state.");
    }

    /// <summary>
    /// Makes sure the daemons of <paramref name="system"/> are counted: subscribes one listener to its event stream
    /// (once per system, however often this is called). The session actor calls it when it starts.
    /// </summary>
    public static void Watch(ActorSystem system) => system.WithExtension<MetricsExtension, MetricsExtensionId>();

    private static IEnumerable<Measurement<int>> ObserveDaemons()
    {
        foreach (var table in Tables.Keys)
            foreach (var (session, state, count) in table.Counts())
                yield return new Measurement<int>(count, new("session", session), new("state", state.ToWord()));
    }

    internal static void RecordRestart(string session, string daemon, string reason) =>
        Restarts.Add(1, new("session", session), new("daemon", daemon), new("reason", reason));

    /// <summary>Runs a probe and records its duration and outcome (nothing extra when nobody listens).</summary>
    internal static Task<ProbeResult> TimeProbe(Func<Task<ProbeResult>> probe, string daemon, string session)
    {
        if (!ProbeDuration.Enabled && !ProbeFailures.Enabled) return probe();
        var started = Stopwatch.GetTimestamp();
        return probe().ContinueWith(t =>
        {
            RecordProbe(daemon, session, t.IsCompletedSuccessfully && t.Result.Healthy, Stopwatch.GetElapsedTime(started));
            return t;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
    }

    /// <summary>One probe's duration and outcome (a watched probe reports here from the prober's thread).</summary>
    internal static void RecordProbe(string daemon, string session, bool healthy, TimeSpan duration)
    {
        if (ProbeDuration.Enabled)
            ProbeDuration.Record(duration.TotalSeconds,
                new("session", session), new("daemon", daemon), new("result", healthy ? "healthy" : "unhealthy"));
        if (!healthy && ProbeFailures.Enabled) ProbeFailures.Add(1, new("session", session), new("daemon", daemon));
    }

    /// <summary>A generation's process exists, <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp) after its launch order.</summary>
    internal static void Launched(string daemon, string session, long since)
    {
        if (since == 0 || !LaunchDuration.Enabled) return;
        LaunchDuration.Record(Stopwatch.GetElapsedTime(since).TotalSeconds, new("session", session), new("daemon", daemon));
    }

    private sealed class MetricsExtensionId : ExtensionIdProvider<MetricsExtension>
    {
        public override MetricsExtension CreateExtension(ExtendedActorSystem system) => new(system);
    }

    private sealed class MetricsExtension : IExtension
    {
        public MetricsExtension(ExtendedActorSystem system)
        {
            var table = new DaemonStateTable();
            var listener = system.SystemActorOf(MetricsListener.Props(table), "actorsupervisor-metrics");
            // Subscribed here rather than in the listener's PreStart, so no event published from now on is missed.
            system.EventStream.Subscribe(listener, typeof(SupervisorEvents.DaemonStateChanged));
            system.EventStream.Subscribe(listener, typeof(SupervisorEvents.DaemonRemoved));
            Tables.TryAdd(table, 0);
            system.RegisterOnTermination(() => Tables.TryRemove(table, out _));
        }
    }
}
