using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using ActorSupervisor.Cluster.Actors;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster;

/// <summary>
/// A node's part of a clustered session, over an ActorSystem whose provider is the cluster (see
/// <see cref="ClusterHocon.For"/>) and the node's own session actor. It starts the session's placement coordinator
/// (a cluster singleton), its proxy, and the node's agent, which runs what is placed here. Everything it answers is
/// cluster-wide: status lists every daemon with its node, and stop/restart act where the daemon runs.
/// </summary>
public sealed class ClusterSupervisor
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    private ClusterSupervisor(ActorSystem system, string sessionId, string node, IActorRef agent)
    {
        System = system;
        SessionId = sessionId;
        Node = node;
        Agent = agent;
    }

    /// <summary>The node's ActorSystem, a member of the cluster.</summary>
    public ActorSystem System { get; }

    /// <summary>The clustered session this node belongs to.</summary>
    public string SessionId { get; }

    /// <summary>This node's name (<see cref="ClusterNodeOptions.NodeName"/>).</summary>
    public string Node { get; }

    /// <summary>
    /// The node's agent. It answers <see cref="ClusterQueries"/> and <see cref="ClusterCommands"/> (also over
    /// Akka.Remote, at <c>akka.tcp://SYSTEM@HOST:PORT/user/cluster-node-SESSION</c>), and the session protocol
    /// (<c>SupervisorQueries.GetStatus</c>, <c>SupervisorCommands.StopDaemon</c>, ...) cluster-wide: hand it to code
    /// written for a session actor.
    /// </summary>
    public IActorRef Agent { get; }

    /// <summary>The agent's path on any node: what a remote tool sends to.</summary>
    public static string AgentPath(string sessionId) => $"/user/{NodeAgentActor.ActorName(sessionId)}";

    /// <summary>
    /// Joins the node to the session: <paramref name="specs"/> are offered to the cluster (placed per their
    /// <c>placement</c>, not necessarily here), and this node runs whatever is placed on it through
    /// <paramref name="sessionActor"/>. The system must be a cluster member configured by <see cref="ClusterHocon.For"/>
    /// (or the hosting extension).
    /// </summary>
    public static ClusterSupervisor Start(ActorSystem system, IActorRef sessionActor, string sessionId, string node,
        IReadOnlyList<string> roles, IEnumerable<DaemonSpec>? specs = null)
    {
        if (system.Settings.ProviderClass != typeof(Akka.Cluster.ClusterActorRefProvider).FullName
            && !system.Settings.ProviderClass.StartsWith(typeof(Akka.Cluster.ClusterActorRefProvider).FullName!, StringComparison.Ordinal))
            throw new InvalidOperationException("a clustered supervisor needs an ActorSystem whose provider is the cluster (ClusterHocon.For)");
        var settings = PlacementSettings.From(system.Settings.Config);
        // Every node needs its replicator running, not only the coordinator's: it is started on first use.
        Akka.DistributedData.DistributedData.Get(system);
        var role = ClusterHocon.SessionRole(sessionId);
        var managerName = PlacementCoordinatorActor.ManagerName(sessionId);

        system.ActorOf(ClusterSingletonManager.Props(
                PlacementCoordinatorActor.Props(sessionId, settings),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(role).WithSingletonName(PlacementCoordinatorActor.SingletonName)),
            managerName);
        var proxy = system.ActorOf(ClusterSingletonProxy.Props($"/user/{managerName}",
                ClusterSingletonProxySettings.Create(system).WithRole(role).WithSingletonName(PlacementCoordinatorActor.SingletonName)
                    .WithBufferSize(10000)),
            $"{managerName}-proxy");
        var agent = system.ActorOf(NodeAgentActor.Props(new NodeAgentActor.AgentSetup(sessionId, node, roles.ToList(), settings,
            sessionActor, proxy, (specs ?? []).ToList())), NodeAgentActor.ActorName(sessionId));
        return new ClusterSupervisor(system, sessionId, node, agent);
    }

    /// <summary>Every daemon of the session, with the node it runs on, live from the nodes.</summary>
    public Task<ClusterReplies.ClusterStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        Agent.Ask<ClusterReplies.ClusterStatus>(ClusterQueries.GetClusterStatus.Instance, AskTimeout, cancellationToken);

    /// <summary>Adds a daemon to the session; completes once it is launched where it was placed, or waits for a node.</summary>
    public Task<ClusterReplies.ClusterDaemon> SubmitAsync(DaemonSpec spec, CancellationToken cancellationToken = default) =>
        CommandAsync(new ClusterCommands.Submit(spec), spec.Name, cancellationToken);

    /// <summary>
    /// Stops the daemon where it runs, for good: it stays stopped, also if its node is lost, until started again.
    /// Completes with its snapshot and node.
    /// </summary>
    /// <param name="name">The daemon's name in the session.</param>
    /// <param name="cancellationToken">Stops waiting for the answer (after 60 s at most it times out).</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    /// <exception cref="InvalidOperationException">The order was refused; the message says why.</exception>
    public Task<ClusterReplies.ClusterDaemon> StopAsync(string name, CancellationToken cancellationToken = default) =>
        CommandAsync(new ClusterCommands.Stop(name), name, cancellationToken);

    /// <summary>
    /// Restarts the daemon where it runs (a new process, no failure counted); a stopped or failed one is started again.
    /// Completes once the new process is launched.
    /// </summary>
    /// <param name="name">The daemon's name in the session.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    /// <exception cref="InvalidOperationException">The order was refused; the message says why.</exception>
    public Task<ClusterReplies.ClusterDaemon> RestartAsync(string name, CancellationToken cancellationToken = default) =>
        CommandAsync(new ClusterCommands.Restart(name), name, cancellationToken);

    /// <summary>Starts a stopped or failed daemon again, placed anew; refused while it is active.</summary>
    /// <param name="name">The daemon's name in the session.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    /// <exception cref="InvalidOperationException">The order was refused (for example, the daemon is active).</exception>
    public Task<ClusterReplies.ClusterDaemon> ResumeAsync(string name, CancellationToken cancellationToken = default) =>
        CommandAsync(new ClusterCommands.Resume(name), name, cancellationToken);

    /// <summary>Stops the daemon and forgets it: its name is free again in the session. Completes with its final snapshot.</summary>
    /// <param name="name">The daemon's name in the session.</param>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <exception cref="KeyNotFoundException">The session has no daemon of that name.</exception>
    /// <exception cref="InvalidOperationException">The order was refused; the message says why.</exception>
    public Task<ClusterReplies.ClusterDaemon> RemoveAsync(string name, CancellationToken cancellationToken = default) =>
        CommandAsync(new ClusterCommands.Remove(name), name, cancellationToken);

    /// <summary>
    /// Stops every daemon of this node and hands those that may run elsewhere to the other nodes, before the node leaves
    /// the cluster. Runs in CoordinatedShutdown's service-stop phase when the hosting extension set this node up.
    /// </summary>
    public async Task<IReadOnlyList<ManagedDaemon>> LeaveAsync(CancellationToken cancellationToken = default)
    {
        var left = await Agent.Ask<NodeAgentActor.LeftNode>(NodeAgentActor.LeaveNode.Instance, AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        return left.Stopped;
    }

    private async Task<ClusterReplies.ClusterDaemon> CommandAsync(object command, string name, CancellationToken cancellationToken)
    {
        var reply = await Agent.Ask<object>(command, AskTimeout, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            ClusterReplies.ClusterDaemon d => d,
            ClusterReplies.CommandFailed { NotFound: true } f => throw new KeyNotFoundException(f.Error),
            ClusterReplies.CommandFailed f => throw new InvalidOperationException(f.Error),
            _ => throw new InvalidOperationException($"unexpected reply for daemon '{name}': {reply.GetType().Name}"),
        };
    }
}
