using Akka;
using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Hosting;

public static class AkkaHostingExtensions
{
    /// <summary>
    /// Adds a session supervisor to an Akka.Hosting app: the library's HOCON defaults (appended, so the app's own
    /// `actorsupervisor { ... }` settings win), the session actor registered in the ActorRegistry
    /// (<c>IRequiredActor&lt;SessionSupervisorActor&gt;</c>), <paramref name="specs"/> started with the ActorSystem,
    /// and every daemon stopped in CoordinatedShutdown's service-stop phase, so stopping the host stops them.
    /// The supervision log goes to the host's ILoggerFactory, one category per daemon.
    /// The config and specs are validated here: a bad one throws before the host is built, naming each field.
    /// </summary>
    public static AkkaConfigurationBuilder WithDaemonSupervisor(this AkkaConfigurationBuilder builder,
        SupervisorConfig config, IEnumerable<DaemonSpec>? specs = null) =>
        builder.WithDaemonSupervisor<SessionSupervisorActor>(config, specs);

    /// <summary>
    /// As <see cref="WithDaemonSupervisor(AkkaConfigurationBuilder, SupervisorConfig, IEnumerable{DaemonSpec}?)"/>, with
    /// the session actor registered under <typeparamref name="TKey"/> (<c>IRequiredActor&lt;TKey&gt;</c>), so one
    /// ActorSystem can run several sessions, each under a key type of the app's own.
    /// </summary>
    public static AkkaConfigurationBuilder WithDaemonSupervisor<TKey>(this AkkaConfigurationBuilder builder,
        SupervisorConfig config, IEnumerable<DaemonSpec>? specs = null)
    {
        Platform.EnsureLinux();
        Validation.EnsureValid(config);
        var specList = (specs ?? []).ToList();
        Validation.EnsureValid(specList!, "Daemon specs");

        builder.AddHocon(SupervisorHocon.Defaults, HoconAddMode.Append);
        builder.WithActors((system, registry, resolver) =>
        {
            var effective = SupervisorSettings.Apply(config, system.Settings.Config);
            var loggers = resolver.GetService<ILoggerFactory>();
            var actor = system.ActorOf(SessionSupervisorActor.Props(effective, loggers), SessionSupervisorActor.ActorName(config.SessionId));
            registry.Register<TKey>(actor);

            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, $"stop-daemons-{config.SessionId}", async () =>
            {
                await actor.Ask<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, TimeSpan.FromMinutes(1));
                return Done.Instance;
            });

            // Replies (the snapshot, or a failure naming what went wrong) land in the log, not with a caller.
            foreach (var spec in specList) actor.Tell(new SupervisorCommands.StartDaemon(spec), ActorRefs.NoSender);
        });
        return builder;
    }

    /// <summary>
    /// For Microsoft.Extensions.Hosting apps that do not otherwise use Akka: an ActorSystem logging through
    /// Microsoft.Extensions.Logging, the session supervisor, and a <see cref="Supervisor"/> facade in the container.
    /// Daemons start with the host and stop with it.
    /// </summary>
    public static IServiceCollection AddDaemonSupervisor(this IServiceCollection services,
        SupervisorConfig config, IEnumerable<DaemonSpec>? specs = null, string actorSystemName = "actorsupervisor")
    {
        services.AddAkka(actorSystemName, builder =>
        {
            builder.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            builder.WithDaemonSupervisor(config, specs);
        });
        services.AddSingleton(provider =>
        {
            var system = provider.GetRequiredService<ActorSystem>();
            var actor = provider.GetRequiredService<IRequiredActor<SessionSupervisorActor>>().ActorRef;
            return Supervisor.For(actor, system, SupervisorSettings.Apply(config, system.Settings.Config));
        });
        return services;
    }
}
