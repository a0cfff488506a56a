using Akka.Hosting;
using ActorSupervisor.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorSupervisor.Hosting;

public static class HealthCheckExtensions
{
    /// <summary>
    /// Adds the daemons' health (see <see cref="SupervisorHealthCheck"/>) to a host's health checks, over the
    /// <see cref="Supervisor"/> in the container (<c>AddDaemonSupervisor</c> registers one).
    /// </summary>
    public static IHealthChecksBuilder AddDaemonSupervisor(this IHealthChecksBuilder builder, string name = "actorsupervisor",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(name,
            provider => new SupervisorHealthCheck(provider.GetRequiredService<Supervisor>()), failureStatus, tags));

    /// <summary>
    /// Registers the daemons' health with Akka.Hosting's health checks (they appear in the host's health checks,
    /// tagged "akka"), over the session actor <c>WithDaemonSupervisor</c> registered.
    /// </summary>
    public static AkkaConfigurationBuilder WithDaemonSupervisorHealthCheck(this AkkaConfigurationBuilder builder,
        string name = "actorsupervisor", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null) =>
        builder.WithHealthCheck(name, new SupervisorHealthCheck(), failureStatus, tags);
}
