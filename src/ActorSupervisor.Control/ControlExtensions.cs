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
    public static Task<ControlServer> StartControlAsync(this Supervisor supervisor, ControlOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ControlServer.StartAsync(supervisor, options, cancellationToken);

    /// <summary>
    /// For hosts that registered a supervisor with <c>AddDaemonSupervisor</c>: serves its control endpoint while the
    /// host runs.
    /// </summary>
    public static IServiceCollection AddDaemonSupervisorControl(this IServiceCollection services, ControlOptions? options = null) =>
        services.AddHostedService(provider => new ControlHostedService(
            provider.GetRequiredService<Supervisor>(),
            (options ?? new ControlOptions()) with { Loggers = options?.Loggers ?? provider.GetService<ILoggerFactory>() }));

    private sealed class ControlHostedService(Supervisor supervisor, ControlOptions options) : IHostedService
    {
        private ControlServer? _server;

        public async Task StartAsync(CancellationToken cancellationToken) =>
            _server = await ControlServer.StartAsync(supervisor, options, cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_server is not null) await _server.DisposeAsync();
        }
    }
}
