using System.Threading.Channels;
using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Control.Events;

/// <summary>
/// One event stream's view of a session: first a snapshot of every daemon, then every state change, in order, into
/// a bounded channel that an HTTP response drains. It subscribes before it asks for the snapshot, and the session
/// publishes a change before it answers a later query, so nothing falls between the two: a change that arrives
/// before the snapshot is already in it and is dropped, and every later one follows it.
/// </summary>
internal sealed class EventTap : ReceiveActor
{
    private readonly IActorRef _session;
    private readonly ChannelWriter<EventView> _out;
    private bool _live;

    public EventTap(IActorRef session, string sessionId, ChannelWriter<EventView> output, bool snapshot)
    {
        _session = session;
        _out = output;
        Receive<SupervisorReplies.StatusReport>(report =>
        {
            var now = DateTimeOffset.UtcNow;
            if (snapshot)
                foreach (var daemon in report.Daemons.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
                    Write(new EventView { Type = "snapshot", At = now, Daemon = DaemonView.From(daemon, now) });
            _live = true;
        });
        Receive<SupervisorEvents.DaemonStateChanged>(e =>
        {
            // Before the snapshot, a change is already in it; another session's is not ours to show.
            if (!_live || e.SessionId != sessionId) return;
            var now = DateTimeOffset.UtcNow;
            Write(new EventView { Type = "state", At = now, Previous = e.Previous?.ToWord(), Daemon = DaemonView.From(e.Daemon, now) });
        });
    }

    private void Write(EventView view)
    {
        if (_out.TryWrite(view)) return;
        // The reader fell a whole buffer behind: end its stream rather than let a slow client hold memory.
        _out.TryComplete(new InvalidOperationException("the client fell too far behind the event stream"));
        Context.Stop(Self);
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(SupervisorEvents.DaemonStateChanged));
        _session.Tell(SupervisorQueries.GetStatus.Instance);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _out.TryComplete();
    }

    public static Props Props(IActorRef session, string sessionId, ChannelWriter<EventView> output, bool snapshot) =>
        Akka.Actor.Props.Create(() => new EventTap(session, sessionId, output, snapshot));
}

/// <summary>Event streams for HTTP responses, each fed by its own <see cref="EventTap"/>.</summary>
internal static class EventStreams
{
    /// <summary>Opens a stream; dispose the handle to close it.</summary>
    public static (ChannelReader<EventView> Reader, IDisposable Handle) Open(ActorSystem system, IActorRef session, string sessionId,
        bool snapshot, int capacity = 4096)
    {
        var channel = Channel.CreateBounded<EventView>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full, which ends the stream
        });
        var tap = system.ActorOf(EventTap.Props(session, sessionId, channel.Writer, snapshot));
        return (channel.Reader, new Closer(tap));
    }

    private sealed class Closer(IActorRef tap) : IDisposable
    {
        public void Dispose() => tap.Tell(PoisonPill.Instance);
    }
}
