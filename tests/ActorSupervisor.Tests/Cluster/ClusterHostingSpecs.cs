using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Cluster;
using ActorSupervisor.Cluster.Hosting;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorSupervisor.Tests.Cluster;

public sealed class ClusterHostingSpecs : IDisposable
{
    private readonly TestProject _project = new();

    [Fact]
    public async Task An_Akka_Hosting_app_joins_as_a_cluster_node_places_a_daemon_on_itself_and_host_stop_leaves_nothing()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var node = new ClusterNodeOptions
        {
            NodeName = "solo", Bind = new ClusterEndpoint("127.0.0.1", port), Seeds = [new ClusterEndpoint("127.0.0.1", port)],
            Roles = ["gpu"], SystemName = "app",
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("app", akka => akka.WithClusteredDaemonSupervisor(_project.Config(), node,
            [_project.HttpDaemon("api") with { Placement = new DaemonPlacement { Role = "gpu" } }]));
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.StartsWith("Akka.Cluster.ClusterActorRefProvider", system.Settings.ProviderClass);
        var agent = host.Services.GetRequiredService<IRequiredActor<ClusterSupervisor>>().ActorRef;

        ClusterReplies.ClusterDaemon? api = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (api is not { Daemon.State: DaemonState.Running })
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"api not running: {api}");
            var status = await agent.Ask<ClusterReplies.ClusterStatus>(ClusterQueries.GetClusterStatus.Instance, TimeSpan.FromSeconds(30));
            api = status.Daemons.FirstOrDefault(d => d.Daemon.Name == "api");
            await Task.Delay(200);
        }
        Assert.Equal("solo", api.Node);
        _project.RememberPort(api.Daemon.Port);
        Assert.True(ProcessScan.IsAlive(api.Daemon.Pid));

        await host.StopAsync();
        Assert.False(ProcessScan.IsAlive(api.Daemon.Pid));
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose() => _project.Dispose();
}
