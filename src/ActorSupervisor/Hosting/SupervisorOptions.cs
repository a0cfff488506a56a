using System.Globalization;
using System.Text.Json.Nodes;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.Configuration;

namespace ActorSupervisor.Hosting;

/// <summary>
/// A session's settings and daemons the .NET way, for <c>IOptions</c> and <c>IConfiguration</c> (appsettings.json,
/// environment variables, command lines). Every setting is nullable: null takes the library's default
/// (hocon/reference.conf), and a value is used as given, so <c>MaxRestarts = 0</c> means no restart at all. Keys are
/// read as NTM writes them (snake_case: <c>health_interval</c>), as HOCON does (<c>health-interval</c>) or as .NET
/// does (<c>HealthInterval</c>); durations as people write them (<c>"5s"</c>, <c>"250ms"</c>).
/// </summary>
public sealed class SupervisorOptions
{
    /// <summary>The configuration section <see cref="AkkaHostingExtensions.AddDaemonSupervisor(Microsoft.Extensions.DependencyInjection.IServiceCollection, IConfiguration, string)"/> reads by default.</summary>
    public const string SectionName = "ActorSupervisor";

    /// <summary>Names PID files, logs and the session actor; 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'. Required.</summary>
    public string? SessionId { get; set; }

    /// <summary>Where the state dir (.ntm) lives, and the work dir of daemons without one; must exist. Required.</summary>
    public string? ProjectDir { get; set; }

    /// <summary>Probe period of a running daemon; default 5 s.</summary>
    public TimeSpan? HealthInterval { get; set; }

    /// <summary>Probe period until a daemon's first healthy answer; default 100 ms.</summary>
    public TimeSpan? StartupProbeInterval { get; set; }

    /// <summary>Consecutive restarts before a daemon is left failed; 0 means no restart at all, negative is refused. Default 5.</summary>
    public int? MaxRestarts { get; set; }

    /// <summary>The first backoff delay, doubled at each restart in a row; default 1 s.</summary>
    public TimeSpan? RestartBackoffMin { get; set; }

    /// <summary>The longest backoff delay; default 60 s.</summary>
    public TimeSpan? RestartBackoffMax { get; set; }

    /// <summary>Random factor, 0 to 1, added to each backoff delay (0.2 = up to 20% longer); default 0.</summary>
    public double? BackoffJitter { get; set; }

    /// <summary>Failed probes in a row that fail a run; default 3.</summary>
    public int? FailureThreshold { get; set; }

    /// <summary>Time for a daemon with a health check to be healthy after its launch; default 30 s.</summary>
    public TimeSpan? StartupTimeout { get; set; }

    /// <summary>Healthy time that resets the count of consecutive failures; default 30 s.</summary>
    public TimeSpan? StablePeriod { get; set; }

    /// <summary>Time between the stop signal and SIGKILL; default 2 s.</summary>
    public TimeSpan? StopGrace { get; set; }

    /// <summary>Deadline of one health probe; default 2 s.</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary>Up-time after which a daemon without a health check counts as running; default 1 s.</summary>
    public TimeSpan? SettleTime { get; set; }

    /// <summary>Folder of pids/ and logs/ under the project dir (or absolute); default ".ntm".</summary>
    public string? StateDir { get; set; }

    /// <summary>A daemon's log is rotated past this many bytes; default 10 MiB.</summary>
    public long? LogMaxBytes { get; set; }

    /// <summary>Rotated copies of a log kept; default 3.</summary>
    public int? LogKeep { get; set; }

    /// <summary>The daemons to start with the host, in order; empty by default.</summary>
    public IList<DaemonSpec> Daemons { get; set; } = [];

    /// <summary>The equivalent <see cref="SupervisorConfig"/> (whose zero means "the default").</summary>
    public SupervisorConfig ToConfig() => new()
    {
        SessionId = SessionId ?? "",
        ProjectDir = ProjectDir ?? "",
        HealthInterval = HealthInterval ?? TimeSpan.Zero,
        StartupProbeInterval = StartupProbeInterval ?? TimeSpan.Zero,
        MaxRestarts = MaxRestarts switch { null => 0, 0 => -1, var n => n.Value },
        RestartBackoffMin = RestartBackoffMin ?? TimeSpan.Zero,
        RestartBackoffMax = RestartBackoffMax ?? TimeSpan.Zero,
        BackoffJitter = BackoffJitter ?? 0,
        FailureThreshold = FailureThreshold ?? 0,
        StartupTimeout = StartupTimeout ?? TimeSpan.Zero,
        StablePeriod = StablePeriod ?? TimeSpan.Zero,
        StopGrace = StopGrace ?? TimeSpan.Zero,
        ProbeTimeout = ProbeTimeout ?? TimeSpan.Zero,
        SettleTime = SettleTime ?? TimeSpan.Zero,
        StateDir = StateDir ?? "",
        LogMaxBytes = LogMaxBytes ?? 0,
        LogKeep = LogKeep ?? 0,
    };

    /// <summary>
    /// Every problem with these options (each naming the key and the value), with the config's rules and the daemons'
    /// (names, fields, dependencies). Empty when they are good to start.
    /// </summary>
    public IReadOnlyList<SpecProblem> Problems()
    {
        var problems = new List<SpecProblem>(Validation.Problems(ToConfig()));
        if (MaxRestarts is < 0) problems.Add(new("MaxRestarts", MaxRestarts.Value.ToString(CultureInfo.InvariantCulture), "must not be negative (0 means no restart)"));
        problems.AddRange(Validation.Problems(Daemons.ToList()!, ProjectDir, "Daemons"));
        return problems;
    }

    /// <summary>
    /// Reads options from a configuration section (appsettings.json's "ActorSupervisor": { ... }, ACTORSUPERVISOR__...
    /// environment variables). Throws <see cref="InvalidSpecException"/> listing every key it cannot read, with its
    /// value; the rules of the values themselves are <see cref="Problems"/>'s.
    /// </summary>
    /// <param name="section">The section holding the settings and a <c>daemons</c> array.</param>
    /// <exception cref="InvalidSpecException">A key is unknown or a value cannot be read as its type.</exception>
    public static SupervisorOptions FromConfiguration(IConfiguration section)
    {
        var options = new SupervisorOptions();
        var problems = ConfigurationReader.Read(section, options);
        if (problems.Count > 0) throw new InvalidSpecException($"Configuration section '{PathOf(section)}'", problems);
        return options;
    }

    private static string PathOf(IConfiguration section) => section is IConfigurationSection s ? s.Path : "(root)";
}
