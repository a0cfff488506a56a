using Akka.Actor;

namespace ActorSupervisor.Actors;

/// <summary>
/// Hands state changes from the event stream to a plain callback, for code that is not an actor. Its creator
/// subscribes it (see Supervisor.Subscribe) before handing it out, so no change published after that is missed.
/// </summary>
internal sealed class EventForwarder : ReceiveActor
{
    public EventForwarder(string sessionId, Action<SupervisorEvents.DaemonStateChanged> handler)
    {
        Receive<SupervisorEvents.DaemonStateChanged>(e => e.SessionId == sessionId, handler);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    public static Props Props(string sessionId, Action<SupervisorEvents.DaemonStateChanged> handler) =>
        Akka.Actor.Props.Create(() => new EventForwarder(sessionId, handler));
}
