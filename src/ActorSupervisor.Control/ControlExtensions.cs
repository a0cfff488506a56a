using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Control;

/// <summary>How library users turn the control endpoint on: one call.</summary>
public static class ControlExtensions
{
    /// <summary>
    /// Serves the control API for this supervisor's session on &lt;state dir&gt;/control/&lt;session&gt;.sock (and on
    /// TCP with <see cref="ControlOptions.Http"/>), so `actorsupervisor status|restart|logs|...` reach it. Dispose the
    /// result before shutting the supervisor down.
    /// </summary>
    /// <param name="supervisor">The supervisor whose session the API serves.</param>
    /// <param name="options">How to serve it; null for the Unix socket alone, without reload.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ControlEndpointException">The endpoint cannot start (another supervisor of the session serves one, the address cannot be bound, a token is missing).</exception>
    public static Task<ControlServer> StartControlAsync(this Supervisor supervisor, ControlOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ControlServer.StartAsync(supervisor, options, cancellationToken);

    /// <summary>
    /// For hosts that registered a supervisor with <c>AddDaemonSupervisor</c> (call this after it): serves its control
    /// endpoint while the host runs. A failure to start it fails the host's start with a <see cref="ControlEndpointException"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">How to serve it; null for the Unix socket alone. Its <c>Loggers</c> default to the host's.</param>
    public static IServiceCollection AddDaemonSupervisorControl(this IServiceCollection services, ControlOptions? options = null) =>
        services.AddHostedService(provider => new ControlHostedService(provider, options ?? new ControlOptions()));

    /// <summary>
    /// Resolves the supervisor when the host starts, not when it is built: Akka.Hosting's service (registered before
    /// this one) has created the session actor by then.
    /// </summary>
    private sealed class ControlHostedService(IServiceProvider provider, ControlOptions options) : IHostedService
    {
        private ControlServer? _server;

        public async Task StartAsync(CancellationToken cancellationToken) =>
            _server = await ControlServer.StartAsync(provider.GetRequiredService<Supervisor>(),
                options with { Loggers = options.Loggers ?? provider.GetService<ILoggerFactory>() }, cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_server is not null) await _server.DisposeAsync();
        }
    }
}
