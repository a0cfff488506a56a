using Akka;
using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Hosting;

/// <summary>
/// Hosting a session supervisor: <c>WithDaemonSupervisor</c> composes into an app's own Akka.Hosting <c>AddAkka</c>,
/// <c>AddDaemonSupervisor</c> sets up Akka for a Microsoft.Extensions.Hosting app that does not use it otherwise.
/// Either way daemons start with the host and are stopped when it stops.
/// </summary>
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
    /// <param name="builder">The app's Akka.Hosting builder.</param>
    /// <param name="config">The session's settings; zeros take the ActorSystem's <c>actorsupervisor { }</c> HOCON, then the library's defaults.</param>
    /// <param name="specs">Daemons to start when the ActorSystem starts; none when null.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidSpecException">The config or a spec is invalid (every problem listed), or the names clash.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static AkkaConfigurationBuilder WithDaemonSupervisor(this AkkaConfigurationBuilder builder,
        SupervisorConfig config, IEnumerable<DaemonSpec>? specs = null) =>
        builder.WithDaemonSupervisor<SessionSupervisorActor>(config, specs);

    /// <summary>
    /// As <see cref="WithDaemonSupervisor(AkkaConfigurationBuilder, SupervisorConfig, IEnumerable{DaemonSpec}?)"/>, with
    /// the session actor registered under <typeparamref name="TKey"/> (<c>IRequiredActor&lt;TKey&gt;</c>), so one
    /// ActorSystem can run several sessions, each under a key type of the app's own. Each session needs its own
    /// <see cref="SupervisorConfig.SessionId"/>.
    /// </summary>
    /// <typeparam name="TKey">The registry key the session actor is registered under.</typeparam>
    /// <param name="builder">The app's Akka.Hosting builder.</param>
    /// <param name="config">The session's settings.</param>
    /// <param name="specs">Daemons to start when the ActorSystem starts; none when null.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidSpecException">The config or a spec is invalid; every problem is listed.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
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
    /// As <see cref="WithDaemonSupervisor(AkkaConfigurationBuilder, SupervisorConfig, IEnumerable{DaemonSpec}?)"/>, from
    /// <see cref="SupervisorOptions"/> (for example read with <see cref="SupervisorOptions.FromConfiguration"/>): its
    /// settings and its <see cref="SupervisorOptions.Daemons"/>.
    /// </summary>
    /// <param name="builder">The app's Akka.Hosting builder.</param>
    /// <param name="options">The session's settings and daemons; null settings take the defaults.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidSpecException">The options (<see cref="SupervisorOptions.Problems"/>) or a daemon are invalid.</exception>
    public static AkkaConfigurationBuilder WithDaemonSupervisor(this AkkaConfigurationBuilder builder, SupervisorOptions options)
    {
        EnsureValid(options);
        return builder.WithDaemonSupervisor<SessionSupervisorActor>(options.ToConfig(), options.Daemons);
    }

    /// <summary>
    /// For Microsoft.Extensions.Hosting apps that do not otherwise use Akka: an ActorSystem logging through
    /// Microsoft.Extensions.Logging, the session supervisor, and a <see cref="Supervisor"/> facade in the container.
    /// Daemons start with the host and stop with it. Akka's own log goes to the host's ILoggerFactory, not to stdout.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="config">The session's settings; zeros take the library's defaults.</param>
    /// <param name="specs">Daemons to start with the host; none when null.</param>
    /// <param name="actorSystemName">The ActorSystem's name (part of actor paths and log sources).</param>
    /// <returns>The same services.</returns>
    /// <exception cref="InvalidSpecException">When the host is built: the config or a spec is invalid.</exception>
    public static IServiceCollection AddDaemonSupervisor(this IServiceCollection services,
        SupervisorConfig config, IEnumerable<DaemonSpec>? specs = null, string actorSystemName = "actorsupervisor")
    {
        var specList = (specs ?? []).ToList();
        services.AddAkka(actorSystemName, builder =>
        {
            RouteAkkaLogs(builder);
            builder.WithDaemonSupervisor(config, specList);
        });
        AddFacade(services, _ => config);
        return services;
    }

    /// <summary>
    /// As above, with the settings and daemons read from <paramref name="configuration"/> (appsettings.json's
    /// "ActorSupervisor" section, environment variables...; see <see cref="SupervisorOptions"/>) and bound to
    /// <c>IOptions&lt;SupervisorOptions&gt;</c>. They are validated when the host starts: a bad key, value or daemon
    /// fails the start with an <see cref="OptionsValidationException"/> whose failures name each field and value, and
    /// nothing is launched.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section to read, usually <c>builder.Configuration.GetSection(SupervisorOptions.SectionName)</c>.</param>
    /// <param name="actorSystemName">The ActorSystem's name (part of actor paths and log sources).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddDaemonSupervisor(this IServiceCollection services, IConfiguration configuration,
        string actorSystemName = "actorsupervisor")
    {
        services.AddOptions<SupervisorOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<SupervisorOptions>>(new ConfigureFromConfiguration(configuration));
        services.AddSingleton<IValidateOptions<SupervisorOptions>, ValidateSupervisorOptions>();
        services.AddAkka(actorSystemName, (builder, provider) =>
        {
            var options = provider.GetRequiredService<IOptions<SupervisorOptions>>().Value;
            RouteAkkaLogs(builder);
            builder.WithDaemonSupervisor<SessionSupervisorActor>(options.ToConfig(), options.Daemons);
        });
        AddFacade(services, provider => provider.GetRequiredService<IOptions<SupervisorOptions>>().Value.ToConfig());
        return services;
    }

    private static void RouteAkkaLogs(AkkaConfigurationBuilder builder) => builder.ConfigureLoggers(loggers =>
    {
        loggers.ClearLoggers();
        loggers.AddLoggerFactory();
    });

    private static void AddFacade(IServiceCollection services, Func<IServiceProvider, SupervisorConfig> config) =>
        services.AddSingleton(provider =>
        {
            var system = provider.GetRequiredService<ActorSystem>();
            var actor = provider.GetRequiredService<IRequiredActor<SessionSupervisorActor>>().ActorRef;
            return Supervisor.For(actor, system, SupervisorSettings.Apply(config(provider), system.Settings.Config));
        });

    private static void EnsureValid(SupervisorOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0) throw new InvalidSpecException("Supervisor options", problems);
    }

    /// <summary>Problems reading the section are kept for the validator, so they fail the host's start like any other.</summary>
    private sealed class ConfigureFromConfiguration(IConfiguration configuration) : IConfigureOptions<SupervisorOptions>
    {
        public void Configure(SupervisorOptions options) =>
            ReadProblems.AddOrUpdate(options, Configuration.ConfigurationReader.Read(configuration, options));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SupervisorOptions, List<SpecProblem>> ReadProblems = new();

    private sealed class ValidateSupervisorOptions : IValidateOptions<SupervisorOptions>
    {
        public ValidateOptionsResult Validate(string? name, SupervisorOptions options)
        {
            var problems = (ReadProblems.TryGetValue(options, out var read) ? read : []).Concat(options.Problems()).ToList();
            return problems.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(problems.Select(p => p.ToString()));
        }
    }
}
