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
    private readonly Option<ClusterEndpoint?> _bind = new("--cluster-bind")
    {
        Description = "Make this supervisor a cluster member listening on HOST:PORT (Akka.Remote over TCP). With it, the specs " +
                      "are offered to the whole cluster and placed per their `placement`; see docs/cluster.md.",
        HelpName = "HOST:PORT",
        CustomParser = r => Endpoint(r, "--cluster-bind"),
    };

    private readonly Option<ClusterEndpoint[]> _seeds = new("--seed")
    {
        Description = "A seed node to join through (repeat for several). A node whose own address is the first seed starts the cluster.",
        HelpName = "HOST:PORT",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = r => r.Tokens.Select(t => Endpoint(r, "--seed", t.Value)).OfType<ClusterEndpoint>().ToArray(),
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
            var bind = result.GetResult(_bind) is not null;
            var node = result.GetResult(_node) is not null;
            if (bind && !node) result.AddError("--cluster-bind: a cluster member needs --node NAME");
            if (!bind && node) result.AddError("--node: only a cluster member has a node name (add --cluster-bind HOST:PORT)");
            if (!bind && result.GetResult(_seeds) is not null) result.AddError("--seed: only a cluster member joins seeds (add --cluster-bind HOST:PORT)");
            if (!bind && result.GetResult(_roles) is not null) result.AddError("--roles: only a cluster member has roles (add --cluster-bind HOST:PORT)");
            if (!bind || !node) return;
            var options = Read(result);
            foreach (var problem in options?.Problems() ?? []) result.AddError($"{problem.Field}: '{problem.Value}' {problem.Problem}");
        });
    }

    /// <summary>The node's options, or null without --cluster-bind (then nothing about clustering is loaded).</summary>
    public ClusterNodeOptions? Read(ParseResult parse) => Read(parse.CommandResult);

    private ClusterNodeOptions? Read(CommandResult result)
    {
        if (result.GetValue(_bind) is not { } bind || result.GetValue(_node) is not { } node) return null;
        return new ClusterNodeOptions
        {
            NodeName = node,
            Bind = bind,
            Seeds = result.GetValue(_seeds) ?? [],
            Roles = result.GetValue(_roles) ?? [],
        };
    }

    private static ClusterEndpoint? Endpoint(ArgumentResult result, string flag, string? token = null)
    {
        var text = token ?? (result.Tokens.Count > 0 ? result.Tokens[^1].Value : "");
        var endpoint = ClusterEndpoint.TryParse(text, out var error);
        if (endpoint is null) result.AddError($"{flag}: '{text}' {error}");
        return endpoint;
    }
}
