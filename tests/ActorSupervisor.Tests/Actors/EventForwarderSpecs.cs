using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Actors;

/// <summary>
/// The bridge from the event stream to a plain callback: it hands on its own session's state changes, in order, and
/// none of another session sharing the ActorSystem.
/// </summary>
public sealed class EventForwarderSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static SupervisorEvents.DaemonStateChanged Change(string session, string name, DaemonState state) =>
        new(session, new ManagedDaemon { Spec = new DaemonSpec { Name = name, Command = "/bin/true" }, State = state }, null);

    [Fact]
    public void Only_its_own_sessions_changes_reach_the_callback_in_order()
    {
        var seen = new List<(string, string, DaemonState)>();
        var forwarder = Sys.ActorOf(EventForwarder.Props("mine", e =>
        {
            lock (seen) seen.Add((e.SessionId, e.Name, e.State));
        }));
        Sys.EventStream.Subscribe(forwarder, typeof(SupervisorEvents.DaemonStateChanged));

        Sys.EventStream.Publish(Change("mine", "web", DaemonState.Starting));
        Sys.EventStream.Publish(Change("theirs", "web", DaemonState.Failed));
        Sys.EventStream.Publish(Change("mine", "web", DaemonState.Running));

        AwaitAssert(() =>
        {
            lock (seen) Assert.Equal([("mine", "web", DaemonState.Starting), ("mine", "web", DaemonState.Running)], seen);
        }, TimeSpan.FromSeconds(10));
    }
}
