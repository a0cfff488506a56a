using Akka.Configuration;

namespace ActorSupervisor.Configuration;

/// <summary>The library's HOCON defaults (hocon/reference.conf, embedded), for apps to fall back on.</summary>
internal static class SupervisorHocon
{
    public static Config Defaults { get; } = Load();

    /// <summary>
    /// For ActorSystems the library creates itself (the Supervisor facade, the CLI): the defaults plus a scheduler that
    /// sleeps until something is due (see <see cref="Scheduling.TimerQueueScheduler"/>). Not imposed on host apps.
    /// </summary>
    public static Config OwnedSystem { get; } = ConfigurationFactory
        .ParseString("""akka.scheduler.implementation = "ActorSupervisor.Scheduling.TimerQueueScheduler, ActorSupervisor" """)
        .WithFallback(Defaults);

    private static Config Load()
    {
        using var stream = typeof(SupervisorHocon).Assembly.GetManifestResourceStream("ActorSupervisor.reference.conf")
                           ?? throw new InvalidOperationException("embedded reference.conf is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
