using Akka;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;

namespace ActorSupervisor.Cluster.Hosting;

/// <summary>Registry key of a clustered node's own session actor (what runs here), beside <see cref="ClusterSupervisor"/>'s agent.</summary>
public sealed class ClusterNodeSession;

/// <summary>Makes an Akka.Hosting app a node of a clustered session.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// Makes the app a member of a clustered session, as `up --cluster-bind ... --seed ... --node ... --roles ...` does:
    /// Akka.Remote (Akka.Remote.Hosting) on <see cref="ClusterNodeOptions.Bind"/>, Akka.Cluster (Akka.Cluster.Hosting)
    /// with the seeds, roles and the keep-majority split-brain resolver, the cluster defaults (hocon/cluster.conf,
    /// appended so the app's HOCON wins), this node's own session actor (registered as <see cref="ClusterNodeSession"/>),
    /// and the node's agent (registered as <see cref="ClusterSupervisor"/>: <c>IRequiredActor&lt;ClusterSupervisor&gt;</c>
    /// answers cluster-wide). <paramref name="specs"/> are offered to the cluster. Stopping the host stops this node's
    /// daemons and hands those that may move to other nodes (CoordinatedShutdown's service-stop), then leaves.
    /// <see cref="ClusterNodeOptions.SystemName"/> must be the name given to AddAkka: it is part of the seeds' addresses.
    /// </summary>
    public static AkkaConfigurationBuilder WithClusteredDaemonSupervisor(this AkkaConfigurationBuilder builder,
        SupervisorConfig config, ClusterNodeOptions node, IEnumerable<DaemonSpec>? specs = null)
    {
        node.EnsureValid();
        var specList = (specs ?? []).ToList();
        Validation.EnsureValid(specList!, "Daemon specs");
        ClusterSpecs.EnsureValid(specList, "Daemon specs");

        builder.WithRemoting(new RemoteOptions { HostName = node.Bind.Host, Port = node.Bind.Port, PublicHostName = node.PublicHost });
        builder.WithClustering(new ClusterOptions
        {
            Roles = ClusterHocon.Roles(node, config.SessionId).ToArray(),
            SeedNodes = node.Seeds.Select(s => ClusterHocon.AkkaAddress(node.SystemName, s)).ToArray(),
            SplitBrainResolver = new KeepMajorityOption(),
        });
        builder.AddHocon(ClusterHocon.Defaults, HoconAddMode.Append);
        builder.WithDaemonSupervisor<ClusterNodeSession>(config);
        builder.WithActors((system, registry, _) =>
        {
            var session = registry.Get<ClusterNodeSession>();
            var cluster = ClusterSupervisor.Start(system, session, config.SessionId, node.NodeName, node.Roles, specList);
            registry.Register<ClusterSupervisor>(cluster.Agent);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, $"hand-over-daemons-{config.SessionId}", async () =>
            {
                await cluster.LeaveAsync();
                return Done.Instance;
            });
        });
        return builder;
    }
}
