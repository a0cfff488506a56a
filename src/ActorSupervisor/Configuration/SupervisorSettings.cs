using Akka.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Configuration;

/// <summary>Fills a <see cref="SupervisorConfig"/>'s unset (zero) fields from the `actorsupervisor` HOCON section.</summary>
internal static class SupervisorSettings
{
    public const string Section = "actorsupervisor";

    /// <summary>The settings there are: the keys of the section in the library's reference.conf, the one list.</summary>
    public static IReadOnlyList<string> Keys { get; } = SupervisorHocon.Defaults.GetConfig(Section).Root.GetObject().Items.Keys
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Fields already set in <paramref name="config"/> win; zero fields take the HOCON value (the app's, falling back
    /// to the library's reference.conf). Throws <see cref="InvalidSpecException"/> naming a bad HOCON key.
    /// </summary>
    public static SupervisorConfig Apply(SupervisorConfig config, Config hocon)
    {
        var section = hocon.GetConfig(Section) ?? Config.Empty;
        section = section.WithFallback(SupervisorHocon.Defaults.GetConfig(Section));
        var problems = new List<SpecProblem>();

        TimeSpan Time(TimeSpan current, string key)
        {
            if (current != TimeSpan.Zero) return current;
            var text = section.GetString(key, null);
            if (text is null) return current;
            if (Duration.TryParse(text, out var value) && value >= TimeSpan.Zero && value <= Duration.Longest) return value;
            problems.Add(new($"{Section}.{key}", text, "must be a duration like 250ms, 5s or 1m, at most 24h"));
            return current;
        }

        T Number<T>(T current, string key, Func<string, (bool ok, T value)> parse) where T : IEquatable<T>
        {
            if (!current.Equals(default!)) return current;
            var text = section.GetString(key, null);
            if (text is null) return current;
            var (ok, value) = parse(text);
            if (ok) return value;
            problems.Add(new($"{Section}.{key}", text, "must be a non-negative number"));
            return current;
        }

        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var result = config with
        {
            HealthInterval = Time(config.HealthInterval, "health-interval"),
            StartupProbeInterval = Time(config.StartupProbeInterval, "startup-probe-interval"),
            // Negative means no restarts (NTM upstream's rule), so only zero takes the default.
            MaxRestarts = Number(config.MaxRestarts, "max-restarts", t => (int.TryParse(t, inv, out var v) && v >= 0, v)),
            RestartBackoffMin = Time(config.RestartBackoffMin, "restart-backoff-min"),
            RestartBackoffMax = Time(config.RestartBackoffMax, "restart-backoff-max"),
            BackoffJitter = Number(config.BackoffJitter, "backoff-jitter", t => (double.TryParse(t, inv, out var v) && v >= 0, v)),
            FailureThreshold = Number(config.FailureThreshold, "failure-threshold", t => (int.TryParse(t, inv, out var v) && v >= 0, v)),
            StartupTimeout = Time(config.StartupTimeout, "startup-timeout"),
            StablePeriod = Time(config.StablePeriod, "stable-period"),
            StopGrace = Time(config.StopGrace, "stop-grace"),
            ProbeTimeout = Time(config.ProbeTimeout, "probe-timeout"),
            SettleTime = Time(config.SettleTime, "settle-time"),
            StateDir = string.IsNullOrEmpty(config.StateDir) ? section.GetString("state-dir", "") : config.StateDir,
            LogMaxBytes = Number(config.LogMaxBytes, "log-max-bytes", t => (long.TryParse(t, inv, out var v) && v >= 0, v)),
            LogKeep = Number(config.LogKeep, "log-keep", t => (int.TryParse(t, inv, out var v) && v >= 0, v)),
        };
        if (problems.Count > 0) throw new InvalidSpecException("HOCON config", problems);
        return result;
    }
}
