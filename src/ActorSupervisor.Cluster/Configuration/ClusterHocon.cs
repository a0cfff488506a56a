using System.Text;
using Akka.Configuration;

namespace ActorSupervisor.Cluster.Configuration;

/// <summary>
/// The one place a clustered supervisor's HOCON comes from: the defaults (hocon/cluster.conf, embedded) and what a
/// node's <see cref="ClusterNodeOptions"/> add (address, seeds, roles). The CLI builds its ActorSystem from
/// <see cref="For"/>; the Akka.Hosting extension hands the same address, seeds and roles to Akka.Remote.Hosting and
/// Akka.Cluster.Hosting and appends <see cref="Defaults"/>.
/// </summary>
public static class ClusterHocon
{
    internal const string Section = "actorsupervisor.cluster";

    /// <summary>
    /// The cluster defaults (hocon/cluster.conf, embedded): Akka.Cluster as the provider, the message serializer,
    /// split-brain resolution and the <c>actorsupervisor.cluster</c> timings. Put an app's own HOCON before it.
    /// </summary>
    public static Config Defaults { get; } = Load();

    /// <summary>
    /// The role every node of a session carries, so a session's coordinator runs only on its own nodes. Roles a person
    /// gives may not start with <see cref="ReservedRolePrefix"/>, so it cannot collide with one.
    /// </summary>
    internal static string SessionRole(string sessionId) => $"{ReservedRolePrefix}session.{sessionId}";

    internal const string ReservedRolePrefix = "actorsupervisor.";

    /// <summary>Akka's address of a node, from its endpoint.</summary>
    internal static string AkkaAddress(string systemName, ClusterEndpoint endpoint) => $"akka.tcp://{systemName}@{endpoint}";

    /// <summary>Every role a node carries: the session's, then its own.</summary>
    internal static IReadOnlyList<string> Roles(ClusterNodeOptions options, string sessionId) =>
        [SessionRole(sessionId), .. options.Roles];

    /// <summary>The node's settings over the defaults.</summary>
    public static Config For(ClusterNodeOptions options, string sessionId) => NodeSettings(options, sessionId).WithFallback(Defaults);

    /// <summary>Only what the node's options say (address, seeds, roles), for a caller that puts its own HOCON between it and <see cref="Defaults"/>.</summary>
    public static Config NodeSettings(ClusterNodeOptions options, string sessionId)
    {
        var hocon = new StringBuilder();
        hocon.Append("akka.remote.dot-netty.tcp.hostname = ").AppendLine(Quote(options.Bind.Host));
        hocon.Append("akka.remote.dot-netty.tcp.port = ").AppendLine(options.Bind.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (options.PublicHost is { } publicHost)
            hocon.Append("akka.remote.dot-netty.tcp.public-hostname = ").AppendLine(Quote(publicHost));
        hocon.Append("akka.cluster.seed-nodes = [")
            .Append(string.Join(", ", options.Seeds.Select(s => Quote(AkkaAddress(options.SystemName, s)))))
            .AppendLine("]");
        hocon.Append("akka.cluster.roles = [")
            .Append(string.Join(", ", Roles(options, sessionId).Select(Quote)))
            .AppendLine("]");
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    // Hosts and roles are checked (ClusterNodeOptions.Problems) before they get here; quoting keeps ':' and '.' literal.
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Config Load() =>
        ConfigurationFactory.ParseString(ActorSupervisor.Configuration.SupervisorHocon.Embedded(typeof(ClusterHocon).Assembly, "ActorSupervisor.Cluster.cluster.conf"));
}

/// <summary>The `actorsupervisor.cluster` settings, read once per node.</summary>
internal sealed record PlacementSettings(
    TimeSpan FenceAfter,
    TimeSpan FenceCheckInterval,
    TimeSpan ReplaceMargin,
    TimeSpan RetryInterval,
    TimeSpan RecoveryTimeout,
    TimeSpan StatusTimeout,
    TimeSpan WriteTimeout,
    TimeSpan StableAfter)
{
    public static PlacementSettings From(Config config)
    {
        var merged = config.WithFallback(ClusterHocon.Defaults);
        var section = merged.GetConfig(ClusterHocon.Section);
        return new PlacementSettings(
            section.GetTimeSpan("fence-after"),
            section.GetTimeSpan("fence-check-interval"),
            section.GetTimeSpan("replace-margin"),
            section.GetTimeSpan("retry-interval"),
            section.GetTimeSpan("recovery-timeout"),
            section.GetTimeSpan("status-timeout"),
            section.GetTimeSpan("write-timeout"),
            merged.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
    }
}
