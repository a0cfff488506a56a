using Akka.Actor;
using Akka.Serialization;
using ActorSupervisor.Cluster;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Fencing;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Cluster.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Cluster;

/// <summary>The cluster's pure rules: where a daemon may go, when a node keeps its right to run daemons, and the wire format.</summary>
public sealed class PlacementSpecs
{
    private static readonly NodeView N1 = new("n1", "akka.tcp://a@h:1#1", []);
    private static readonly NodeView N2 = new("n2", "akka.tcp://a@h:2#2", ["gpu"]);
    private static readonly NodeView N3 = new("n3", "akka.tcp://a@h:3#3", ["gpu", "big"]);

    private static DaemonSpec Spec(string name, DaemonPlacement? placement = null) =>
        new() { Name = name, Command = "/bin/true", Placement = placement };

    [Fact]
    public void A_pinned_daemon_goes_only_to_its_node_and_waits_when_it_is_gone()
    {
        var rule = PlacementRule.Of(Spec("a", new DaemonPlacement { Node = "n2" }));
        Assert.False(rule.Movable);
        Assert.Equal("n2", Placer.Choose(rule, [N1, N2, N3], _ => 0)?.Name);
        Assert.Null(Placer.Choose(rule, [N1, N3], _ => 0));
        Assert.Equal("waiting for node n2", rule.NoNodeReason);
    }

    [Fact]
    public void A_role_daemon_goes_to_the_least_loaded_node_with_the_role()
    {
        var rule = PlacementRule.Of(Spec("g", new DaemonPlacement { Role = "gpu" }));
        var load = new Dictionary<string, int> { ["n1"] = 0, ["n2"] = 5, ["n3"] = 1 };
        Assert.Equal("n3", Placer.Choose(rule, [N1, N2, N3], n => load[n])?.Name);
        Assert.Null(Placer.Choose(rule, [N1], _ => 0));
        Assert.True(rule.Movable);
    }

    [Fact]
    public void A_daemon_without_placement_goes_anywhere_least_loaded_first_ties_by_name()
    {
        var rule = PlacementRule.Of(Spec("m"));
        Assert.Equal("n1", Placer.Choose(rule, [N3, N2, N1], _ => 0)?.Name);
        Assert.Equal("n2", Placer.Choose(rule, [N3, N2, N1], n => n == "n2" ? 0 : 1)?.Name);
    }

    [Fact]
    public void A_bad_placement_is_refused_naming_the_field_and_value()
    {
        var both = PlacementRule.Problems(Spec("x", new DaemonPlacement { Node = "n1", Role = "gpu" }));
        Assert.Contains(both, p => p.Field == "placement" && p.Problem.Contains("not both"));
        var bad = PlacementRule.Problems(Spec("x", new DaemonPlacement { Node = "../etc" }));
        Assert.Contains(bad, p => p.Field == "placement.node" && p.Value == "../etc");
        var empty = PlacementRule.Problems(Spec("x", new DaemonPlacement()));
        Assert.Contains(empty, p => p.Field == "placement");
        var e = Assert.Throws<InvalidSpecException>(() => ActorSupervisor.Cluster.Placement.ClusterSpecs.EnsureValid([Spec("x", new DaemonPlacement { Role = "a b" })], "Spec file s.json"));
        Assert.Contains("x.placement.role", e.Message);
        Assert.Contains("a b", e.Message);
    }

    [Fact]
    public void A_spec_file_placement_reads_as_node_or_role()
    {
        var specs = Configuration.SpecFile.ParseJson("""
            [{"name": "a", "command": "/bin/true", "placement": {"node": "n2"}},
             {"name": "b", "command": "/bin/true", "placement": {"role": "gpu"}},
             {"name": "c", "command": "/bin/true"}]
            """, "t");
        Assert.Equal("n2", specs[0].Placement?.Node);
        Assert.Equal("gpu", specs[1].Placement?.Role);
        Assert.Null(specs[2].Placement);
    }

    [Fact]
    public void A_node_is_in_good_standing_only_on_the_majority_side()
    {
        MemberSight M(int rank, bool reachable = true) => new($"m{rank}", true, reachable, rank);
        Assert.True(Standing.IsGood("m0", [M(0), M(1, false), M(2)]));
        Assert.False(Standing.IsGood("m0", [M(0), M(1, false), M(2, false)]));
        // Others see this node as unreachable: it is the one about to be downed.
        Assert.False(Standing.IsGood("m1", [M(0), M(1, false), M(2)]));
        // An even split: the side with the lowest address keeps running, as keep-majority decides.
        Assert.True(Standing.IsGood("m0", [M(0), M(1, false)]));
        Assert.False(Standing.IsGood("m1", [M(0, false), M(1)]));
        Assert.False(Standing.IsGood("m9", [M(0), M(1)]));
    }

    [Fact]
    public void A_lease_is_lost_after_fence_after_without_good_standing()
    {
        var t = DateTimeOffset.UnixEpoch;
        var lease = new Lease(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(250));
        Assert.False(lease.Check(t, goodStanding: false)); // never up: nothing to fence
        lease.Grant(t);
        for (var i = 1; i <= 12; i++) Assert.False(lease.Check(t + TimeSpan.FromMilliseconds(250 * i), goodStanding: false));
        Assert.True(lease.Check(t + TimeSpan.FromMilliseconds(3250), goodStanding: false));
    }

    [Fact]
    public void A_check_that_comes_late_renews_nothing_so_a_thawed_node_fences_at_once()
    {
        var t = DateTimeOffset.UnixEpoch;
        var lease = new Lease(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(250));
        lease.Grant(t);
        Assert.False(lease.Check(t + TimeSpan.FromMilliseconds(250), goodStanding: true));
        // Frozen for 20 s: the first check after the thaw sees a stale, healthy-looking cluster, and fences anyway.
        Assert.True(lease.Check(t + TimeSpan.FromSeconds(20), goodStanding: true));
        // A short stall below fence-after does not fence; the next timely check renews.
        var other = new Lease(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(250));
        other.Grant(t);
        Assert.False(other.Check(t + TimeSpan.FromSeconds(2), goodStanding: true));
        Assert.False(other.Check(t + TimeSpan.FromMilliseconds(2250), goodStanding: true));
        Assert.False(other.Check(t + TimeSpan.FromMilliseconds(5000), goodStanding: false));
    }

    [Theory]
    [InlineData("127.0.0.1:4053", "127.0.0.1", 4053)]
    [InlineData("node-1.example:0", "node-1.example", 0)]
    [InlineData("[::1]:4053", "::1", 4053)]
    public void An_endpoint_parses_as_host_and_port(string text, string host, int port)
    {
        var endpoint = ClusterEndpoint.TryParse(text, out var error);
        Assert.Equal("", error);
        Assert.Equal(new ClusterEndpoint(host, port), endpoint);
    }

    [Theory]
    [InlineData("127.0.0.1", "must be HOST:PORT")]
    [InlineData("127.0.0.1:99999", "is not a port")]
    [InlineData("bad host:1", "is not a host")]
    [InlineData("::1:4053", "must be HOST:PORT")]
    [InlineData("", "must be HOST:PORT")]
    public void A_bad_endpoint_says_what_is_wrong(string text, string problem)
    {
        Assert.Null(ClusterEndpoint.TryParse(text, out var error));
        Assert.Contains(problem, error);
    }

    [Fact]
    public void Node_options_name_each_bad_flag_and_value()
    {
        var options = new ClusterNodeOptions
        {
            NodeName = "-n", Bind = new ClusterEndpoint("127.0.0.1", 0), Roles = ["gpu", "gpu", "a:b", "actorsupervisor.x"],
            Seeds = [new ClusterEndpoint("127.0.0.1", 0)],
        };
        var problems = options.Problems();
        Assert.Contains(problems, p => p.Field == "--node" && p.Value == "-n");
        Assert.Contains(problems, p => p.Field == "--roles" && p.Value == "a:b");
        Assert.Contains(problems, p => p.Field == "--roles" && p.Problem.Contains("twice"));
        Assert.Contains(problems, p => p.Field == "--roles" && p.Value == "actorsupervisor.x");
        Assert.Contains(problems, p => p.Field == "--seed" && p.Value == "127.0.0.1:0");
    }

    [Fact]
    public void The_cluster_hocon_carries_the_address_seeds_and_roles_with_the_session_role_first()
    {
        var config = ClusterHocon.For(new ClusterNodeOptions
        {
            NodeName = "n1", Bind = new ClusterEndpoint("127.0.0.1", 4053),
            Seeds = [new ClusterEndpoint("127.0.0.1", 4053), new ClusterEndpoint("10.0.0.2", 4053)], Roles = ["gpu"],
        }, "s1");
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actorsupervisor@127.0.0.1:4053", "akka.tcp://actorsupervisor@10.0.0.2:4053"],
            config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["actorsupervisor.session.s1", "gpu"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        var settings = PlacementSettings.From(config);
        // The safety margin docs/cluster.md states: a lost node fences before its daemons may move.
        Assert.True(settings.FenceAfter < settings.StableAfter + settings.ReplaceMargin);
    }

    [Fact]
    public void Cluster_messages_round_trip_with_the_projects_json_names()
    {
        using var system = ActorSystem.Create("wire", ClusterHocon.Defaults.WithFallback(
            Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = local")));
        var serializer = new ClusterMessageSerializer((ExtendedActorSystem)system);
        var spec = Spec("web", new DaemonPlacement { Role = "gpu" }) with { Args = ["--x"], StopGrace = TimeSpan.FromSeconds(5) };
        var placed = new PlacedDaemon
        {
            Spec = spec, Node = "n2", NodeAddress = "akka.tcp://a@h:2#7", Epoch = 42,
            Last = new ManagedDaemon
            {
                Spec = spec, State = DaemonState.Restarting, Pid = 0, Port = 8080, Restarts = 3,
                LastFailure = new FailureRecord { Reason = "exited unexpectedly", Signal = 9 },
            },
        };
        var bytes = serializer.ToBinary(placed);
        Assert.Contains("\"placement\":{\"role\":\"gpu\"}", System.Text.Encoding.UTF8.GetString(bytes));
        var back = Assert.IsType<PlacedDaemon>(serializer.FromBinary(bytes, serializer.Manifest(placed)));
        Assert.Equal(42, back.Epoch);
        Assert.Equal("gpu", back.Spec.Placement?.Role);
        Assert.Equal(TimeSpan.FromSeconds(5), back.Spec.StopGrace);
        Assert.Equal(3, back.Last!.Restarts);
        Assert.Equal(DaemonState.Restarting, back.Last.State);
        Assert.Equal(9, back.Last.LastFailure?.Signal);

        var status = new ClusterReplies.ClusterStatus("s", [new ClusterReplies.ClusterDaemon("n1", placed.Last)], [new("n1", "akka.tcp://a@h:1", ["gpu"], "up")]);
        var again = Assert.IsType<ClusterReplies.ClusterStatus>(serializer.FromBinary(serializer.ToBinary(status), serializer.Manifest(status)));
        Assert.Equal("n1", again.Daemons[0].Node);
        Assert.Same(ClusterQueries.GetClusterStatus.Instance,
            serializer.FromBinary(serializer.ToBinary(ClusterQueries.GetClusterStatus.Instance), "q-status"));
        // A manifest nobody registered is refused, not resolved as a type name.
        Assert.ThrowsAny<Exception>(() => serializer.FromBinary("{}"u8.ToArray(), "System.Diagnostics.Process"));
        // Akka picks this serializer for every cluster message.
        Assert.IsType<ClusterMessageSerializer>(system.Serialization.FindSerializerFor(placed));
    }
}
