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

    private static Config Load() => ConfigurationFactory.ParseString(Embedded(typeof(SupervisorHocon).Assembly, "ActorSupervisor.reference.conf"));

    /// <summary>
    /// A HOCON file built into <paramref name="assembly"/>: ours, of a size known at build time, so it is read whole
    /// (a file from outside goes through <see cref="SpecFile"/>'s capped read instead).
    /// </summary>
    internal static string Embedded(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"embedded {name} is missing");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }
}
