using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorSupervisor.Tests.Hosting;

public sealed class HostingSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private static async Task<ManagedDaemon> WaitRunning(IActorRef supervisor, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await supervisor.Ask<object>(new SupervisorQueries.GetDaemon(name), TimeSpan.FromSeconds(5)) is ManagedDaemon { State: DaemonState.Running } d)
                return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(name);
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task An_Akka_Hosting_app_gets_the_session_actor_from_the_registry_and_host_stop_stops_the_daemons()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("app", akka =>
        {
            akka.AddHocon("actorsupervisor.health-interval = 300ms", HoconAddMode.Prepend);
            akka.WithDaemonSupervisor(_project.Config(c => c with { HealthInterval = TimeSpan.Zero }),
                [_project.HttpDaemon("api"), _project.Daemon("worker")]);
        });
        using var host = builder.Build();
        await host.StartAsync();

        var supervisor = host.Services.GetRequiredService<IRequiredActor<SessionSupervisorActor>>().ActorRef;
        var api = await WaitRunning(supervisor, "api");
        var worker = await WaitRunning(supervisor, "worker");
        _project.RememberPort(api.Port);
        Assert.True(ProcessScan.IsAlive(api.Pid) && ProcessScan.IsAlive(worker.Pid));
        // An Akka app can Ask<ManagedDaemon> directly.
        var asked = await supervisor.Ask<ManagedDaemon>(new SupervisorQueries.GetDaemon("api"), TimeSpan.FromSeconds(5));
        Assert.Equal(api.Pid, asked.Pid);
        await _project.Signals.WaitForStart(api.Pid, worker.Pid);

        await host.StopAsync();

        Assert.False(ProcessScan.IsAlive(api.Pid));
        Assert.False(ProcessScan.IsAlive(worker.Pid));
        _project.Signals.AssertStoppedGracefully(api.Pid, "api"); // CoordinatedShutdown stopped them, not PostStop's SIGKILL
        _project.Signals.AssertStoppedGracefully(worker.Pid, "worker");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_plain_host_gets_a_Supervisor_facade_and_the_daemons_live_and_die_with_the_host()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDaemonSupervisor(_project.Config(), [_project.Daemon("worker")]);
        using var host = builder.Build();
        await host.StartAsync();

        var supervisor = host.Services.GetRequiredService<Supervisor>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ManagedDaemon? worker;
        while ((worker = await supervisor.GetDaemonAsync("worker")) is not { State: DaemonState.Running })
        {
            Assert.True(DateTime.UtcNow < deadline, "worker never ran");
            await Task.Delay(25);
        }
        await _project.Signals.WaitForStart(worker.Pid);

        await host.StopAsync();

        Assert.False(ProcessScan.IsAlive(worker.Pid));
        _project.Signals.AssertStoppedGracefully(worker.Pid, "worker");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_bad_spec_stops_the_host_from_starting_and_starts_nothing()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("app", akka => akka.WithDaemonSupervisor(_project.Config(), [_project.Daemon("ok"), _project.Daemon("a b")]));
        // Akka.Hosting runs its configuration when the host is built or started; either way, the host does not run.
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });
        Assert.Contains("'a b'", e.ToString());
        Assert.Empty(_project.LiveProcesses());
        Assert.False(Directory.Exists(Path.Combine(_project.Dir, ".ntm")));
    }

    public void Dispose() => _project.Dispose();
}
