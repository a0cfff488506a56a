using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// Every state change a supervisor publishes from the moment this is created. Unlike
/// <see cref="Supervisor.Subscribe"/>, whose forwarder subscribes when it starts (a moment after the call returns),
/// the subscription is in place before <see cref="Of"/> returns, so no early change is missed.
/// </summary>
public sealed class StateChanges : IDisposable
{
    private readonly List<ManagedDaemon> _seen = [];
    private readonly ActorSystem _system;
    private readonly IActorRef _collector;

    private StateChanges(Supervisor supervisor)
    {
        _system = supervisor.System;
        _collector = _system.ActorOf(Props.Create(() => new Collector(_seen, supervisor.Config.SessionId)));
        _system.EventStream.Subscribe(_collector, typeof(SupervisorEvents.DaemonStateChanged));
    }

    public static StateChanges Of(Supervisor supervisor) => new(supervisor);

    /// <summary>The snapshots published for <paramref name="name"/> so far, in order.</summary>
    public IReadOnlyList<ManagedDaemon> For(string name)
    {
        lock (_seen) return _seen.Where(d => d.Name == name).ToList();
    }

    /// <summary>The snapshot of each launch of a process (state starting with a pid), in order.</summary>
    public IReadOnlyList<ManagedDaemon> Launches(string name) =>
        For(name).Where(d => d.State == DaemonState.Starting && d.Pid > 0).ToList();

    /// <summary>The first published snapshot of <paramref name="name"/> that satisfies <paramref name="condition"/>.</summary>
    public async Task<ManagedDaemon> WaitFor(string name, Func<ManagedDaemon, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (For(name).FirstOrDefault(condition) is { } hit) return hit;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name}: no such state change; seen: {string.Join(", ", For(name).Select(d => $"{d.State.ToWord()}/{d.Pid}"))}");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_collector);
        _collector.Tell(PoisonPill.Instance);
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(List<ManagedDaemon> seen, string sessionId)
        {
            Receive<SupervisorEvents.DaemonStateChanged>(e => e.SessionId == sessionId, e =>
            {
                lock (seen) seen.Add(e.Daemon);
            });
        }
    }
}
