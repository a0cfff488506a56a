using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Hosting;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ActorSupervisor.Tests.Observability;

/// <summary>The daemons' health in a host's own health checks: Microsoft's, and Akka.Hosting's registration.</summary>
public sealed class HealthCheckHostingSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private static async Task<HealthReportEntry> WaitFor(IHost host, string check, HealthStatus status)
    {
        var service = host.Services.GetRequiredService<HealthCheckService>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var report = await service.CheckHealthAsync();
            if (report.Entries.TryGetValue(check, out var entry) && entry.Status == status) return entry;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{check} never {status}: {string.Join("; ", report.Entries.Select(e => $"{e.Key}={e.Value.Status} {e.Value.Description}"))}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_plain_host_reports_a_failed_daemon_as_unhealthy_by_name_and_healthy_ones_as_healthy()
    {
        var builder = Host.CreateApplicationBuilder();
        var ghost = _project.Daemon("ghost") with { Command = Path.Combine(_project.Dir, "no-such-daemon") };
        builder.Services.AddDaemonSupervisor(_project.Config(), [_project.Daemon("worker"), ghost]);
        builder.Services.AddHealthChecks().AddDaemonSupervisor();
        using var host = builder.Build();
        await host.StartAsync();

        var unhealthy = await WaitFor(host, "actorsupervisor", HealthStatus.Unhealthy);
        Assert.Equal("failed: ghost", unhealthy.Description);
        Assert.Equal("failed", unhealthy.Data["ghost"]);
        var supervisor = host.Services.GetRequiredService<Supervisor>();
        await supervisor.Actor.Ask<object>(new SupervisorCommands.RemoveDaemon("ghost"), TimeSpan.FromSeconds(30));
        await supervisor.StopAsync("worker"); // a daemon stopped on request is no fault
        var healthy = await WaitFor(host, "actorsupervisor", HealthStatus.Healthy);
        Assert.Equal("0 running, 1 stopped", healthy.Description);

        await host.StopAsync();
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Akka_Hosting_registers_the_check_with_the_host_and_it_asks_the_session_actor()
    {
        var builder = Host.CreateApplicationBuilder();
        var ghost = _project.Daemon("ghost") with { Command = Path.Combine(_project.Dir, "no-such-daemon") };
        builder.Services.AddHealthChecks();
        builder.Services.AddAkka("app", akka => akka
            .WithDaemonSupervisor(_project.Config(), [_project.Daemon("worker"), ghost])
            .WithDaemonSupervisorHealthCheck("daemons"));
        using var host = builder.Build();
        await host.StartAsync();

        var unhealthy = await WaitFor(host, "daemons", HealthStatus.Unhealthy);
        Assert.Equal("failed: ghost", unhealthy.Description);

        await host.StopAsync();
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose() => _project.Dispose();
}
