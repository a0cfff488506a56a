using System.Globalization;
using System.Net;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cluster;

/// <summary>
/// What makes a supervisor a member of a cluster: its address, the seeds it joins through, its node name and roles.
/// The CLI fills it from `up --cluster-bind HOST:PORT --seed HOST:PORT ... --node NAME --roles a,b`.
/// </summary>
public sealed record ClusterNodeOptions
{
    /// <summary>The node's name, unique in the cluster: what {"placement": {"node": N}} names and status shows.</summary>
    public required string NodeName { get; init; }

    /// <summary>Where Akka.Remote listens (TCP). Port 0 takes a free port, which suits a node that is no seed.</summary>
    public required ClusterEndpoint Bind { get; init; }

    /// <summary>The host other nodes reach this one at, when it differs from the bind host (NAT, 0.0.0.0).</summary>
    public string? PublicHost { get; init; }

    /// <summary>
    /// Seeds, as Akka means them: the first one that is up lets this node in; a node whose own address is the first
    /// seed starts the cluster if none of the others answers. Empty: the node is a cluster of its own (a seed of one).
    /// </summary>
    public IReadOnlyList<ClusterEndpoint> Seeds { get; init; } = [];

    /// <summary>Roles that {"placement": {"role": R}} matches.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The ActorSystem's name: part of every member's address, so every node of a cluster must use the same.</summary>
    public string SystemName { get; init; } = "actorsupervisor";

    /// <summary>The address other nodes see.</summary>
    public ClusterEndpoint Advertised => PublicHost is { } host ? Bind with { Host = host } : Bind;

    /// <summary>Every problem, each naming its flag and value; empty when the options are sound.</summary>
    public IReadOnlyList<SpecProblem> Problems()
    {
        var problems = new List<SpecProblem>();
        if (!Validation.IsSafeName(NodeName))
            problems.Add(new SpecProblem("--node", NodeName, "must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'"));
        foreach (var role in Roles)
            if (!Validation.IsSafeName(role))
                problems.Add(new SpecProblem("--roles", role, "each role must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'"));
        foreach (var role in Roles.Where(r => r.StartsWith(Configuration.ClusterHocon.ReservedRolePrefix, StringComparison.Ordinal)))
            problems.Add(new SpecProblem("--roles", role, $"must not start with '{Configuration.ClusterHocon.ReservedRolePrefix}' (reserved)"));
        if (Roles.Distinct(StringComparer.Ordinal).Count() != Roles.Count)
            problems.Add(new SpecProblem("--roles", string.Join(',', Roles), "names a role twice"));
        foreach (var seed in Seeds)
            if (seed.Port == 0)
                problems.Add(new SpecProblem("--seed", seed.ToString(), "needs a port other than 0: other nodes must know where to find it"));
        if (PublicHost is { } publicHost && !ClusterEndpoint.IsHost(publicHost))
            problems.Add(new SpecProblem("public host", publicHost, "is not a host name or IP address"));
        if (!Validation.IsSafeName(SystemName))
            problems.Add(new SpecProblem("system name", SystemName, "must be 1 to 64 of [A-Za-z0-9._-]"));
        return problems;
    }

    /// <summary>Throws when <see cref="Problems"/> finds any.</summary>
    /// <exception cref="InvalidSpecException">The options are unsound; every problem is listed with its flag and value.</exception>
    public void EnsureValid()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new InvalidSpecException("Cluster options", problems);
    }
}

/// <summary>HOST:PORT, as the CLI's --cluster-bind and --seed take it (an IPv6 address in brackets: [::1]:4053).</summary>
/// <param name="Host">An IP address or a DNS name (without brackets for IPv6).</param>
/// <param name="Port">The TCP port, 0 to 65535; 0 takes a free one, for a bind address only.</param>
public sealed record ClusterEndpoint(string Host, int Port)
{
    /// <summary><c>HOST:PORT</c>, with an IPv6 host in brackets: what <see cref="TryParse"/> reads back.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses HOST:PORT; null with <paramref name="error"/> saying what is wrong (without naming a flag).</summary>
    public static ClusterEndpoint? TryParse(string? text, out string error)
    {
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must be HOST:PORT";
            return null;
        }
        string host, port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = "must be HOST:PORT (an IPv6 address in brackets, like [::1]:4053)";
                return null;
            }
            (host, port) = (text[1..close], text[(close + 2)..]);
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon)
            {
                error = "must be HOST:PORT (an IPv6 address in brackets, like [::1]:4053)";
                return null;
            }
            (host, port) = (text[..colon], text[(colon + 1)..]);
        }
        if (!IsHost(host))
        {
            error = $"'{host}' is not a host name or IP address";
            return null;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535)
        {
            error = $"'{port}' is not a port (0 to 65535)";
            return null;
        }
        return new ClusterEndpoint(host, number);
    }

    /// <summary>An IP address, or a DNS name of letters, digits, '-' and '.'.</summary>
    internal static bool IsHost(string host)
    {
        if (host.Length is 0 or > 253) return false;
        if (IPAddress.TryParse(host, out _)) return true;
        return host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') && !host.StartsWith('-') && !host.StartsWith('.');
    }
}
