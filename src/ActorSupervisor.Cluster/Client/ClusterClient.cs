using Akka.Actor;
using Akka.Configuration;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Protocol;

namespace ActorSupervisor.Cluster.Client;

/// <summary>
/// Asks a cluster node from outside the cluster (a CLI command): a short-lived ActorSystem with Akka.Remote only (it
/// never joins), which sends <see cref="ClusterQueries"/> and <see cref="ClusterCommands"/> to the node's agent and
/// waits for the answer. Anyone who can reach a node's port can do the same: the cluster port is the trust boundary
/// (docs/cluster.md, "Security").
/// </summary>
internal sealed class ClusterClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly NodeEndpoint _endpoint;

    private ClusterClient(ActorSystem system, NodeEndpoint endpoint)
    {
        _system = system;
        _endpoint = endpoint;
    }

    public static ClusterClient Connect(NodeEndpoint endpoint)
    {
        var host = new Uri(endpoint.Address.Replace("akka.tcp://", "tcp://", StringComparison.Ordinal)).Host.Trim('[', ']');
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = OFF
              stdout-loglevel = OFF
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor.provider = remote
              remote.dot-netty.tcp { hostname = "{{host}}", port = 0 }
              remote.log-remote-lifecycle-events = off
            }
            """).WithFallback(ClusterHocon.Defaults);
        // The cluster defaults bring the serializer bindings; the provider stays remote (set first, so it wins).
        return new ClusterClient(ActorSystem.Create("actorsupervisor-client", config), endpoint);
    }

    public Task<object> AskAsync(object message, TimeSpan timeout) =>
        _system.ActorSelection(_endpoint.Address + ClusterSupervisor.AgentPath(_endpoint.Session)).Ask<object>(message, timeout);

    public async ValueTask DisposeAsync() => await _system.Terminate().ConfigureAwait(false);
}
