using Akka.Actor;
using Akka.Event;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// The warnings and errors an ActorSystem logs from the moment this is created (subscribed before <see cref="Of"/>
/// returns). Specs use it to see that a safety net was not what saved them.
/// </summary>
public sealed class AkkaLog : IDisposable
{
    /// <summary>
    /// What a daemon actor logs when it is torn down with its process still running and kills the group itself
    /// (src/ActorSupervisor/Actors/DaemonActor.cs, PostStop). Outside an ActorSystem's termination that net is never
    /// meant to catch anything: a crash, a failed run and a stop each deal with their process group themselves.
    /// </summary>
    public const string TornDownWithProcess = "torn down with its process still running";

    private readonly List<string> _lines = [];
    private readonly ActorSystem _system;
    private readonly IActorRef _collector;

    private AkkaLog(ActorSystem system)
    {
        _system = system;
        _collector = system.ActorOf(Props.Create(() => new Collector(_lines)));
        system.EventStream.Subscribe(_collector, typeof(Warning));
        system.EventStream.Subscribe(_collector, typeof(Error));
    }

    public static AkkaLog Of(ActorSystem system) => new(system);

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    /// <summary>Fails if a daemon actor had to kill its process group from PostStop.</summary>
    public void AssertNoDaemonTornDownWithItsProcess() =>
        Assert.DoesNotContain(Lines, l => l.Contains(TornDownWithProcess, StringComparison.Ordinal));

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_collector);
        _collector.Tell(PoisonPill.Instance);
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(List<string> lines)
        {
            Receive<LogEvent>(e =>
            {
                lock (lines) lines.Add($"{e.LogLevel()} {e.LogSource}: {e.Message}");
            });
        }
    }
}
