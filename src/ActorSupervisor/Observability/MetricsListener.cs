using Akka.Actor;
using ActorSupervisor.Actors;

namespace ActorSupervisor.Observability;

/// <summary>Feeds <see cref="SupervisorMetrics"/> from the event stream: one per ActorSystem, under /system.</summary>
internal sealed class MetricsListener : ReceiveActor
{
    public MetricsListener(DaemonStateTable table)
    {
        Receive<SupervisorEvents.DaemonStateChanged>(change =>
        {
            if (table.Apply(change) is { } reason) SupervisorMetrics.RecordRestart(change.SessionId, change.Name, reason);
        });
        Receive<SupervisorEvents.DaemonRemoved>(removed => table.Remove(removed.SessionId, removed.Name));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    public static Props Props(DaemonStateTable table) => Akka.Actor.Props.Create(() => new MetricsListener(table));
}
