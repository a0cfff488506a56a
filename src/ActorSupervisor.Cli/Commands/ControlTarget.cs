using System.CommandLine;
using System.CommandLine.Parsing;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Control;
using ActorSupervisor.Control.Transport;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// Which running supervisor a command talks to: the project (--project-dir), its state dir (--state-dir), and the
/// session (--session). Without --session, every supervisor of the project that answers on its control socket is
/// asked, and a command about one daemon goes to the one that runs it.
/// </summary>
internal sealed record ControlTarget(string ProjectDir, string? Session, string StateRoot)
{
    public sealed record Options(Option<string> ProjectDir, Option<string?> Session, Option<string?> StateDir)
    {
        public IEnumerable<Option> All => [ProjectDir, Session, StateDir];

        public ControlTarget From(ParseResult parse)
        {
            var project = parse.GetValue(ProjectDir)!;
            var config = new SupervisorConfig { ProjectDir = project, StateDir = parse.GetValue(StateDir) ?? "" }.WithDefaults();
            return new ControlTarget(project, parse.GetValue(Session), config.StateRoot);
        }
    }

    public static Options CreateOptions() => new(
        CliOptions.ProjectDir(),
        CliOptions.Session("The session whose supervisor to ask. Default: every running supervisor of the project."),
        new Option<string?>("--state-dir")
        {
            Description = "The state dir `up` used (absolute, or relative to --project-dir). Default: .ntm.",
            HelpName = "DIR",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (string.IsNullOrWhiteSpace(text)) result.AddError("--state-dir: must not be empty");
                return text;
            },
        });

    public static Option<HttpAddress?> HttpOption() => new("--http")
    {
        Description = "Also serve the control API, /metrics and the dashboard (at /) on this TCP address, e.g. 127.0.0.1:8080 " +
                      "(port 0: any free port). Requests need the token; a non-loopback address needs --token-file.",
        HelpName = "ADDRESS:PORT",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (HttpAddress.TryParse(text, out var address, out var error)) return address;
            result.AddError($"--http: {error}");
            return null;
        },
    };

    /// <summary>The NAME argument of the commands about one daemon, checked by the library's name rule.</summary>
    public static Argument<string> NameArgument(string description)
    {
        var argument = NameArgumentOnly(description);
        argument.CompletionSources.Add(CompletionCommand.DaemonNames);
        return argument;
    }

    private static Argument<string> NameArgumentOnly(string description) => new("NAME")
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!Validation.IsSafeName(text))
                result.AddError($"NAME: '{text}' must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'");
            return text;
        },
    };

    public string Scope => Session is null ? $"in {StateRoot}" : $"of session {Session} in {StateRoot}";

    /// <summary>Every running supervisor in scope, with its status; the caller disposes the clients.</summary>
    public Task<IReadOnlyList<(ControlClient Client, StatusView Status)>> LiveAsync(CancellationToken ct = default) =>
        ControlClient.DiscoverAsync(StateRoot, Session, ct);

    /// <summary>
    /// The running supervisor that runs <paramref name="name"/>: exactly one must. Throws (exit 1) with a sentence
    /// saying what was found instead.
    /// </summary>
    public async Task<ControlClient> SupervisorOf(string name, CancellationToken ct = default)
    {
        var live = await LiveAsync(ct);
        var having = live.Where(l => l.Status.Daemons.Any(d => d.Name == name)).ToList();
        foreach (var other in live.Except(having)) other.Client.Dispose();
        if (having.Count == 1) return having[0].Client;
        foreach (var h in having) h.Client.Dispose();
        if (live.Count == 0) throw new NoSupervisorException($"no running supervisor answers {Scope} (start one with `actorsupervisor up`)");
        if (having.Count == 0)
            throw new InvalidOperationException($"no daemon named '{name}' in the running supervisor(s) {Scope} " +
                                                $"(sessions: {string.Join(", ", live.Select(l => l.Status.Session))})");
        throw new UsageException($"daemon '{name}' runs in sessions {string.Join(", ", having.Select(h => h.Status.Session))}; " +
                                 "pick one with --session");
    }

    /// <summary>The one running supervisor in scope (for reload, start --specs); throws with what was found instead.</summary>
    public async Task<ControlClient> OnlySupervisor(CancellationToken ct = default)
    {
        var live = await LiveAsync(ct);
        if (live.Count == 1) return live[0].Client;
        foreach (var l in live) l.Client.Dispose();
        if (live.Count == 0) throw new NoSupervisorException($"no running supervisor answers {Scope} (start one with `actorsupervisor up`)");
        throw new UsageException($"several supervisors run {Scope} (sessions {string.Join(", ", live.Select(l => l.Status.Session))}); " +
                                 "pick one with --session");
    }
}

/// <summary>No supervisor answered: exit 1, with where it looked.</summary>
internal sealed class NoSupervisorException(string message) : Exception(message);
