using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// What to run and how to tell it is healthy. JSON names are NTM's, so a spec file written for NTM reads here.
/// </summary>
public sealed record DaemonSpec
{
    // A null from JSON ("args": null, as Go writes an empty slice) or from C# means "none", as in NTM: every list and
    // string below reads as empty rather than null, so no caller has to guard against it.
    [JsonPropertyName("name")] public string Name { get; init => field = value ?? ""; } = "";
    [JsonPropertyName("command")] public string Command { get; init => field = value ?? ""; } = "";
    [JsonPropertyName("args")] public IReadOnlyList<string> Args { get; init => field = value ?? []; } = [];

    /// <summary>Absolute loopback URL, or a path meaning http://127.0.0.1:&lt;allocated port&gt;&lt;path&gt;.</summary>
    [JsonPropertyName("health_url")] public string? HealthUrl { get; init; }

    /// <summary>An argv, never a shell line; exit code 0 means healthy.</summary>
    [JsonPropertyName("health_cmd")] public IReadOnlyList<string>? HealthCmd { get; init; }

    [JsonPropertyName("port_flag")] public string? PortFlag { get; init; }
    [JsonPropertyName("default_port")] public int DefaultPort { get; init; }

    /// <summary>Where the daemon runs: absolute, or relative to the project dir (see <see cref="ResolveWorkDir"/>).</summary>
    [JsonPropertyName("work_dir")] public string? WorkDir { get; init; }

    /// <summary>KEY=VALUE entries that override the supervisor's own environment.</summary>
    [JsonPropertyName("env")] public IReadOnlyList<string> Env { get; init => field = value ?? []; } = [];

    // Fields of ours below; NTM ignores what it does not know.

    /// <summary>Give the port a daemon asks for, or nothing: no fallback to a free port.</summary>
    [JsonPropertyName("require_port")] public bool RequirePort { get; init; }

    /// <summary>Allocate a port (and set PORT) even without PortFlag or DefaultPort, for daemons that read $PORT.</summary>
    [JsonPropertyName("needs_port")] public bool NeedsPort { get; init; }

    /// <summary>
    /// Persistent (the default) daemons outlive a supervisor that dies without shutting down, for a later one to adopt.
    /// Ephemeral daemons get a parent-death signal and die with it.
    /// </summary>
    [JsonPropertyName("lifetime")] public DaemonLifetime Lifetime { get; init; } = DaemonLifetime.Persistent;

    // Orchestration, all optional: unset keeps the session's setting and today's behaviour. Unset fields are not
    // written, so a spec written out stays as short as the one read in.

    /// <summary>Daemons this one waits for before its launch, and for what: started, healthy or completed.</summary>
    [JsonPropertyName("depends_on")]
    public IReadOnlyDictionary<string, DependencyCondition> DependsOn { get; init => field = value ?? NoDependencies; } = NoDependencies;

    private static readonly IReadOnlyDictionary<string, DependencyCondition> NoDependencies = new Dictionary<string, DependencyCondition>();

    /// <summary>When an ended run is followed by another: always (the default, NTM's), on-failure, never.</summary>
    [JsonPropertyName("restart"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public RestartPolicy Restart { get; init; } = RestartPolicy.Always;

    /// <summary>What a failing health check does: restart the run (the default) or mark the daemon unhealthy.</summary>
    [JsonPropertyName("on_unhealthy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public UnhealthyAction OnUnhealthy { get; init; } = UnhealthyAction.Restart;

    /// <summary>The signal that asks the daemon to stop (SIGTERM unless set: SIGINT, SIGQUIT, SIGHUP, SIGUSR1...).</summary>
    [JsonPropertyName("stop_signal"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? StopSignal { get; init; }

    [JsonPropertyName("stop_grace"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? StopGrace { get; init; }

    [JsonPropertyName("startup_timeout"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? StartupTimeout { get; init; }

    [JsonPropertyName("health_interval"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? HealthInterval { get; init; }

    /// <summary>The deadline of one health probe.</summary>
    [JsonPropertyName("health_timeout"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? HealthTimeout { get; init; }

    /// <summary>Restarts in a row before the daemon is failed; 0 means none (unlike the session's setting, where 0 means the default).</summary>
    [JsonPropertyName("max_restarts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int? MaxRestarts { get; init; }

    [JsonPropertyName("backoff_min"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? BackoffMin { get; init; }

    [JsonPropertyName("backoff_max"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? BackoffMax { get; init; }

    /// <summary>
    /// A TCP health check: connecting succeeds. "HOST:PORT" (a loopback host), or "PORT", or "port" for the daemon's
    /// allocated port.
    /// </summary>
    [JsonPropertyName("health_tcp"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? HealthTcp { get; init; }

    /// <summary>
    /// NTM upstream's probe for MCP servers such as cm: a JSON-RPC "initialize" POSTed to http://127.0.0.1:&lt;port&gt;/,
    /// healthy on a 200 whose body is a JSON-RPC 2.0 result with serverInfo and no error.
    /// </summary>
    [JsonPropertyName("health_mcp"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool HealthMcp { get; init; }

    /// <summary>NTM upstream's name for <see cref="RequirePort"/>; either one set means both.</summary>
    [JsonPropertyName("no_port_fallback"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool NoPortFallback { get => RequirePort; init => RequirePort = RequirePort || value; }

    /// <summary>A dotenv file (KEY=VALUE lines) read at each launch: absolute, or relative to the work dir.</summary>
    [JsonPropertyName("env_file"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? EnvFile { get; init; }

    /// <summary>Where in a cluster it may run: {"node": N} or {"role": R}; unset, any node. Ignored outside a cluster.</summary>
    [JsonPropertyName("placement"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DaemonPlacement? Placement { get; init; }

    // Helpers, not fields: [JsonIgnore] keeps them out of snapshots and spec files, so that a spec written out reads
    // back (unknown keys are refused) and NTM sees only fields it knows.
    /// <summary>
    /// The daemons this one waits for before its launch: those named in depends_on, and those whose ports it wires into
    /// its args, env or health command with ${NAME.port}.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyCollection<string> DependencyNames => Lifecycle.Dependencies.Of(this).Keys.ToList();

    [JsonIgnore] public bool WantsPort => NeedsPort || DefaultPort != 0 || !string.IsNullOrEmpty(PortFlag);

    [JsonIgnore] public bool HasHealthCheck => !string.IsNullOrEmpty(HealthUrl) || HealthCmd is { Count: > 0 }
                                  || !string.IsNullOrEmpty(HealthTcp) || HealthMcp;

    /// <summary>A copy that shares nothing mutable with this one (the lists are copied).</summary>
    public DaemonSpec DeepCopy() => this with
    {
        Args = Args.ToArray(),
        HealthCmd = HealthCmd?.ToArray(),
        Env = Env.ToArray(),
        DependsOn = new Dictionary<string, DependencyCondition>(DependsOn, StringComparer.Ordinal),
    };

    /// <summary>
    /// The directory the daemon (and its health command) runs in: <paramref name="projectDir"/> when WorkDir is unset,
    /// WorkDir when it is absolute, else WorkDir relative to <paramref name="projectDir"/> (never to the supervisor's
    /// current directory, which a spec file's author cannot know). Validation checks the same path.
    /// </summary>
    public string ResolveWorkDir(string projectDir)
    {
        var project = Path.GetFullPath(projectDir);
        return string.IsNullOrEmpty(WorkDir) ? project : Path.GetFullPath(WorkDir, project);
    }

    /// <summary>The daemon's argv: command, args, then the port flag and port as two elements.</summary>
    public IReadOnlyList<string> Argv(int port)
    {
        var argv = new List<string>(Args.Count + 3) { Command };
        argv.AddRange(Args);
        if (port > 0 && !string.IsNullOrEmpty(PortFlag))
        {
            argv.Add(PortFlag);
            argv.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return argv;
    }

    /// <summary>The URL to probe for a daemon on <paramref name="port"/>, per the design's relative/absolute rule.</summary>
    public Uri? ResolveHealthUrl(int port)
    {
        if (string.IsNullOrEmpty(HealthUrl)) return null;
        if (HealthUrl.StartsWith('/'))
            return new Uri($"http://127.0.0.1:{port}{HealthUrl}");
        var uri = new Uri(HealthUrl);
        // An absolute URL written for the default port follows the daemon to the port it actually got.
        if (port > 0 && DefaultPort > 0 && uri.Port == DefaultPort && port != DefaultPort)
            return new UriBuilder(uri) { Port = port }.Uri;
        return uri;
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<DaemonLifetime>))]
public enum DaemonLifetime
{
    [JsonStringEnumMemberName("persistent")] Persistent,
    [JsonStringEnumMemberName("ephemeral")] Ephemeral,
}
