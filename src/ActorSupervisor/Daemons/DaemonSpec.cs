using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// What to run and how to tell it is healthy. JSON names are NTM's, so a spec file written for NTM reads here. An
/// immutable value (lists included: treat them as read-only); every optional field left unset keeps the session's
/// setting. Checked when it is started: an invalid spec is refused with an <see cref="InvalidSpecException"/> naming
/// each field and value, and nothing runs.
/// </summary>
/// <remarks>
/// <see cref="Args"/>, <see cref="Env"/> and <see cref="HealthCmd"/> may refer to a daemon's port as
/// <c>${NAME.port}</c> (this daemon's own, or one it depends on); <c>$$</c> is a literal <c>$</c>.
/// </remarks>
public sealed record DaemonSpec
{
    // A null from JSON ("args": null, as Go writes an empty slice) or from C# means "none", as in NTM: every list and
    // string below reads as empty rather than null, so no caller has to guard against it.
    /// <summary>
    /// The daemon's name, unique in its session: 1 to 64 of <c>[A-Za-z0-9._-]</c>, not starting with '.' or '-'. It
    /// names the PID file, the log file and the actor. Required; null reads as "".
    /// </summary>
    [JsonPropertyName("name")] public string Name { get; init => field = value ?? ""; } = "";
    /// <summary>
    /// The program to run: a path, or a name looked up on the daemon's own <c>PATH</c> at launch (a missing one fails
    /// the launch at once, naming it). Run directly with <see cref="Args"/>, never through a shell. Required.
    /// </summary>
    [JsonPropertyName("command")] public string Command { get; init => field = value ?? ""; } = "";
    /// <summary>The arguments after the command, one element per argument (no shell splitting or quoting); empty by default.</summary>
    [JsonPropertyName("args")] public IReadOnlyList<string> Args { get; init => field = value ?? []; } = [];

    /// <summary>
    /// An HTTP health check: a path (<c>/health</c>) meaning http://127.0.0.1:&lt;allocated port&gt;&lt;path&gt;, or an
    /// absolute URL on a loopback host (127.0.0.1, ::1, localhost). Healthy on a 2xx answer within the probe timeout.
    /// </summary>
    [JsonPropertyName("health_url")] public string? HealthUrl { get; init; }

    /// <summary>
    /// A command health check: an argv (command first, never a shell line) run in the daemon's work dir; exit code 0
    /// within the probe timeout means healthy. Its output is read up to a bounded size.
    /// </summary>
    [JsonPropertyName("health_cmd")] public IReadOnlyList<string>? HealthCmd { get; init; }

    /// <summary>
    /// The flag that tells the daemon its port (<c>--port</c>): the allocated port is appended to its argv as two
    /// elements, flag then number. Setting it gives the daemon a port.
    /// </summary>
    [JsonPropertyName("port_flag")] public string? PortFlag { get; init; }
    /// <summary>
    /// The port the daemon prefers (1 to 65535); 0, the default, for none. When it is taken, the daemon gets a free port
    /// instead, unless <see cref="RequirePort"/>. The daemon also finds its port in the <c>PORT</c> environment variable.
    /// </summary>
    [JsonPropertyName("default_port")] public int DefaultPort { get; init; }

    /// <summary>
    /// Where the daemon runs: absolute, or relative to the project dir (see <see cref="ResolveWorkDir"/>); unset, the
    /// project dir. Must exist.
    /// </summary>
    [JsonPropertyName("work_dir")] public string? WorkDir { get; init; }

    /// <summary>
    /// <c>KEY=VALUE</c> entries added to the environment the daemon inherits from the supervisor, overriding it (and
    /// <see cref="EnvFile"/>); KEY is <c>[A-Za-z0-9_]</c>, not starting with a digit. Empty by default.
    /// </summary>
    [JsonPropertyName("env")] public IReadOnlyList<string> Env { get; init => field = value ?? []; } = [];

    // Fields of ours below; NTM ignores what it does not know.

    /// <summary>
    /// Give the daemon its <see cref="DefaultPort"/> or do not launch it: no fallback to a free port (a launch that cannot
    /// have its port fails at once, naming the process that holds it). Needs a DefaultPort. False by default.
    /// </summary>
    [JsonPropertyName("require_port")] public bool RequirePort { get; init; }

    /// <summary>
    /// Allocate a free port (and set <c>PORT</c>) even without <see cref="PortFlag"/> or <see cref="DefaultPort"/>, for
    /// daemons that read <c>$PORT</c> or take it through <c>${NAME.port}</c> in their args. False by default.
    /// </summary>
    [JsonPropertyName("needs_port")] public bool NeedsPort { get; init; }

    /// <summary>
    /// Persistent (the default) daemons outlive a supervisor that dies without shutting down, for a later one to adopt.
    /// Ephemeral daemons get a parent-death signal (SIGKILL, through util-linux's setpriv) and die with it.
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

    /// <summary>
    /// Time between the stop signal and SIGKILL for this daemon; unset, the session's
    /// <see cref="SupervisorConfig.StopGrace"/>. At most 24 hours. Written <c>"5s"</c> in JSON.
    /// </summary>
    [JsonPropertyName("stop_grace"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? StopGrace { get; init; }

    /// <summary>
    /// How long a launched daemon with a health check has to pass it before the run fails; unset, the session's
    /// <see cref="SupervisorConfig.StartupTimeout"/>. Longer than zero, at most 24 hours.
    /// </summary>
    [JsonPropertyName("startup_timeout"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? StartupTimeout { get; init; }

    /// <summary>
    /// Time between two health probes of this running daemon; unset, the session's
    /// <see cref="SupervisorConfig.HealthInterval"/>. Longer than zero, at most 24 hours.
    /// </summary>
    [JsonPropertyName("health_interval"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? HealthInterval { get; init; }

    /// <summary>
    /// The deadline of one health probe of this daemon (HTTP, TCP, MCP or command); a probe that takes longer fails.
    /// Unset, the session's <see cref="SupervisorConfig.ProbeTimeout"/>.
    /// </summary>
    [JsonPropertyName("health_timeout"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? HealthTimeout { get; init; }

    /// <summary>Restarts in a row before the daemon is failed; 0 means none (unlike the session's setting, where 0 means the default).</summary>
    [JsonPropertyName("max_restarts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int? MaxRestarts { get; init; }

    /// <summary>
    /// The first restart delay of this daemon, doubled at each restart in a row up to <see cref="BackoffMax"/>; unset,
    /// the session's <see cref="SupervisorConfig.RestartBackoffMin"/>. Must not exceed BackoffMax.
    /// </summary>
    [JsonPropertyName("backoff_min"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), JsonConverter(typeof(Configuration.DurationJsonConverter))]
    public TimeSpan? BackoffMin { get; init; }

    /// <summary>The longest restart delay of this daemon; unset, the session's <see cref="SupervisorConfig.RestartBackoffMax"/>.</summary>
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

    [JsonIgnore] internal bool WantsPort => NeedsPort || DefaultPort != 0 || !string.IsNullOrEmpty(PortFlag);

    [JsonIgnore] internal bool HasHealthCheck => !string.IsNullOrEmpty(HealthUrl) || HealthCmd is { Count: > 0 }
                                  || !string.IsNullOrEmpty(HealthTcp) || HealthMcp;

    /// <summary>A copy that shares no list or dictionary with this one, for a caller that wants to keep or change it.</summary>
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
    internal IReadOnlyList<string> Argv(int port)
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
    internal Uri? ResolveHealthUrl(int port)
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

/// <summary>Whether a daemon outlives a supervisor that dies without stopping it. Written "persistent" or "ephemeral".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DaemonLifetime>))]
public enum DaemonLifetime
{
    /// <summary>
    /// The default: the daemon keeps running if its supervisor is killed, and the next supervisor of the session adopts
    /// it through its PID file instead of starting a second one.
    /// </summary>
    [JsonStringEnumMemberName("persistent")] Persistent,

    /// <summary>The daemon gets a parent-death signal (SIGKILL) and dies with its supervisor, however the supervisor ends.</summary>
    [JsonStringEnumMemberName("ephemeral")] Ephemeral,
}
