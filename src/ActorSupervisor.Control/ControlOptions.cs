using ActorSupervisor.Daemons;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Control;

/// <summary>How a supervisor's control endpoint is served. Every property is optional: the default is the Unix socket alone, without reload.</summary>
public sealed record ControlOptions
{
    /// <summary>
    /// Also listen on TCP (the same API, plus /metrics and the dashboard at /). A non-loopback address needs
    /// <see cref="TokenFile"/>.
    /// </summary>
    public HttpAddress? Http { get; init; }

    /// <summary>
    /// The token TCP requests must carry. Without one, a listener on loopback makes a random token and writes it to
    /// &lt;state dir&gt;/control/&lt;session&gt;.token (mode 0600), removed when the endpoint stops.
    /// </summary>
    public string? TokenFile { get; init; }

    /// <summary>
    /// What POST /v1/reload applies: the specs as they are now (e.g. the spec file read again), and notes for the
    /// caller (settings that changed but apply only to a new supervisor). Without it, reload is refused.
    /// </summary>
    public Func<CancellationToken, Task<ReloadSource>>? Reload { get; init; }

    /// <summary>Where the specs came from, for status and reload answers (a file path, or a description).</summary>
    public string? SpecSource { get; init; }

    /// <summary>The endpoint's own log (bind problems, bad requests Kestrel refuses); none when null.</summary>
    public ILoggerFactory? Loggers { get; init; }
}

/// <summary>The specs a reload is to make true, and notes about what it cannot change.</summary>
/// <param name="Specs">
/// The daemons the session should run: new names are started, missing names removed, changed specs restarted with the
/// new spec, the rest left alone.
/// </param>
/// <param name="Notes">Sentences for the caller (a setting that changed but applies only to a new supervisor); may be empty.</param>
public sealed record ReloadSource(IReadOnlyList<DaemonSpec> Specs, IReadOnlyList<string> Notes);
