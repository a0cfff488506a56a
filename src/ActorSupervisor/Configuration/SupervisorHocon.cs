using Akka.Configuration;

namespace ActorSupervisor.Configuration;

/// <summary>The library's HOCON defaults (hocon/reference.conf, embedded), for apps to fall back on.</summary>
public static class SupervisorHocon
{
    public static Config Defaults { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(SupervisorHocon).Assembly.GetManifestResourceStream("ActorSupervisor.reference.conf")
                           ?? throw new InvalidOperationException("embedded reference.conf is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
