using Akka.Hosting;
using ActorSupervisor.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorSupervisor.Hosting;

/// <summary>Registers <see cref="SupervisorHealthCheck"/> with a host's health checks.</summary>
public static class HealthCheckExtensions
{
    /// <summary>
    /// Adds the daemons' health (see <see cref="SupervisorHealthCheck"/>) to a host's health checks, over the
    /// <see cref="Supervisor"/> in the container (<c>AddDaemonSupervisor</c> registers one; without it the check fails
    /// when first run).
    /// </summary>
    /// <param name="builder">The host's health-checks builder.</param>
    /// <param name="name">The check's name in health reports.</param>
    /// <param name="failureStatus">Reported instead of Unhealthy while a daemon is failed; null for Unhealthy.</param>
    /// <param name="tags">Tags for filtering health endpoints; none when null.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddDaemonSupervisor(this IHealthChecksBuilder builder, string name = "actorsupervisor",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null) =>
        builder.Add(new HealthCheckRegistration(name,
            provider => new SupervisorHealthCheck(provider.GetRequiredService<Supervisor>()), failureStatus, tags));

    /// <summary>
    /// Registers the daemons' health with Akka.Hosting's health checks (they appear in the host's health checks,
    /// tagged "akka"), over the session actor <c>WithDaemonSupervisor</c> registered.
    /// </summary>
    /// <param name="builder">The app's Akka.Hosting builder, after <c>WithDaemonSupervisor</c>.</param>
    /// <param name="name">The check's name in health reports.</param>
    /// <param name="failureStatus">Reported instead of Unhealthy while a daemon is failed; null for Unhealthy.</param>
    /// <param name="tags">More tags besides "akka"; none when null.</param>
    /// <returns>The same builder.</returns>
    public static AkkaConfigurationBuilder WithDaemonSupervisorHealthCheck(this AkkaConfigurationBuilder builder,
        string name = "actorsupervisor", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null) =>
        builder.WithHealthCheck(name, new SupervisorHealthCheck(), failureStatus, tags);
}
