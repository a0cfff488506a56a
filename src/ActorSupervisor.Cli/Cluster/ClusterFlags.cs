using System.CommandLine;
using System.CommandLine.Parsing;
using ActorSupervisor.Cluster;

namespace ActorSupervisor.Cli.Cluster;

/// <summary>
/// `up`'s cluster flags (design section 9): --cluster-bind HOST:PORT --seed HOST:PORT ... --node NAME --roles a,b.
/// Every value is checked while parsing, so a bad one is exit 2 naming the flag and the value, and nothing starts.
/// </summary>
internal sealed class ClusterFlags
{
    private readonly Option<string?> _bind = new("--cluster-bind")
    {
        Description = "Make this supervisor a cluster member listening on HOST:PORT (Akka.Remote over TCP). With it, the specs " +
                      "are offered to the whole cluster and placed per their `placement`; see docs/cluster.md.",
        HelpName = "HOST:PORT",
    };

    private readonly Option<string[]> _seeds = new("--seed")
    {
        Description = "A seed node to join through (repeat for several). A node whose own address is the first seed starts the cluster.",
        HelpName = "HOST:PORT",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _node = new("--node")
    {
        Description = "This node's name in the cluster (unique), as {\"placement\": {\"node\": NAME}} names it.",
        HelpName = "NAME",
    };

    private readonly Option<string[]> _roles = new("--roles")
    {
        Description = "This node's roles, comma-separated, as {\"placement\": {\"role\": R}} names them.",
        HelpName = "a,b",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray(),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_bind);
        command.Options.Add(_seeds);
        command.Options.Add(_node);
        command.Options.Add(_roles);
        command.Validators.Add(result =>
        {
            var bindText = result.GetValue(_bind);
            var node = result.GetValue(_node);
            var seeds = result.GetValue(_seeds) ?? [];
            var roles = result.GetValue(_roles) ?? [];
            var bind = bindText is null ? null : Endpoint(result, "--cluster-bind", bindText);
            var seedEndpoints = seeds.Select(s => Endpoint(result, "--seed", s)).ToList();
            if (bindText is not null && node is null) result.AddError("--cluster-bind: a cluster member needs --node NAME");
            if (bindText is null && node is not null) result.AddError("--node: only a cluster member has a node name (add --cluster-bind HOST:PORT)");
            if (bindText is null && seeds.Length > 0) result.AddError("--seed: only a cluster member joins seeds (add --cluster-bind HOST:PORT)");
            if (bindText is null && roles.Length > 0) result.AddError("--roles: only a cluster member has roles (add --cluster-bind HOST:PORT)");
            if (bind is null || node is null || seedEndpoints.Any(s => s is null)) return;
            var options = new ClusterNodeOptions { NodeName = node, Bind = bind, Seeds = seedEndpoints!, Roles = roles };
            foreach (var problem in options.Problems()) result.AddError($"{problem.Field}: '{problem.Value}' {problem.Problem}");
        });
    }

    /// <summary>The node's options (checked by the validator), or null without --cluster-bind: then nothing about clustering is loaded.</summary>
    public ClusterNodeOptions? Read(ParseResult parse)
    {
        if (parse.GetValue(_bind) is not { } bind || parse.GetValue(_node) is not { } node) return null;
        // Akka.Remote's transport (DotNetty) does not run NativeAOT: its type initializers need reflection that the
        // native build has trimmed away. Say so before anything starts, rather than fail at the first bind.
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
            throw new UsageException("--cluster-bind: cluster mode needs the JIT build of actorsupervisor (dotnet build, dotnet run " +
                                     "or the .NET tool); this native executable runs supervisors on their own only");
        return new ClusterNodeOptions
        {
            NodeName = node,
            Bind = ClusterEndpoint.TryParse(bind, out _)!,
            Seeds = (parse.GetValue(_seeds) ?? []).Select(s => ClusterEndpoint.TryParse(s, out _)!).ToList(),
            Roles = parse.GetValue(_roles) ?? [],
        };
    }

    private static ClusterEndpoint? Endpoint(CommandResult result, string flag, string text)
    {
        var endpoint = ClusterEndpoint.TryParse(text, out var error);
        if (endpoint is null) result.AddError($"{flag}: '{text}' {error}");
        return endpoint;
    }
}
