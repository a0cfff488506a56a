using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorSupervisor.Cli.Commands;
using ActorSupervisor.Cluster;
using ActorSupervisor.Cluster.Client;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Cluster;

/// <summary>
/// `status`, `stop` and `restart` for a project whose `up` is a cluster member (it left a node endpoint file under the
/// state dir): they ask the whole cluster through that node, so every daemon shows, with its node, and an order acts
/// on the node that runs the daemon.
/// </summary>
internal static class ClusterCli
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The project's live cluster node (of <paramref name="session"/> if given), or null when it runs none.</summary>
    public static NodeEndpoint? Find(string projectDir, string? session) =>
        FindIn(new SupervisorConfig { ProjectDir = projectDir }.WithDefaults().StateRoot, session);

    /// <summary>As <see cref="Find"/>, for a state dir given as it is (--state-dir, a spec file's state-dir).</summary>
    public static NodeEndpoint? FindIn(string stateRoot, string? session) => NodeEndpointFile.Live(stateRoot, session).FirstOrDefault();

    public static async Task<int> StatusAsync(NodeEndpoint endpoint, bool json)
    {
        await using var client = ClusterClient.Connect(endpoint);
        var reply = await client.AskAsync(ClusterQueries.GetClusterStatus.Instance, Patience);
        if (reply is not ClusterReplies.ClusterStatus status)
            throw new InvalidOperationException($"node {endpoint.Node} answered {reply.GetType().Name}");
        if (json) WriteJson(status);
        else WriteTable(status);
        return ExitCodes.Ok;
    }

    public static async Task<int> OrderAsync(NodeEndpoint endpoint, IReadOnlyList<string> names, Func<string, object> order, string verb)
    {
        await using var client = ClusterClient.Connect(endpoint);
        if (names.Count == 0)
        {
            var all = await client.AskAsync(ClusterQueries.GetClusterStatus.Instance, Patience);
            names = all is ClusterReplies.ClusterStatus s ? s.Daemons.Select(d => d.Daemon.Name).ToList() : [];
        }
        var failed = false;
        foreach (var reply in await Task.WhenAll(names.Select(n => client.AskAsync(order(n), Patience))))
        {
            switch (reply)
            {
                case ClusterReplies.ClusterDaemon d:
                    Console.WriteLine($"{verb} {d.Daemon.Name} on node {d.Node ?? "-"}: {d.Daemon.State.ToWord()}" +
                                      (d.Daemon.Pid > 0 ? $" pid={d.Daemon.Pid}" : "") + (d.Daemon.Reason is { } r ? $" ({r})" : ""));
                    break;
                case ClusterReplies.CommandFailed f:
                    Console.Error.WriteLine($"actorsupervisor: {f.Error}");
                    failed = true;
                    break;
                default:
                    Console.Error.WriteLine($"actorsupervisor: unexpected answer {reply.GetType().Name}");
                    failed = true;
                    break;
            }
        }
        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }

    /// <summary>`restart NAME`: a new process where the daemon runs (no failure counted); only through a cluster node.</summary>
    public static Command RestartCommand()
    {
        var name = new Argument<string>("NAME") { Description = "The daemon to restart." };
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("The session (when the project runs several).");
        var command = new Command("restart", "Restart a daemon now, through the running cluster node of this project (no failure counted).")
        {
            name, projectDir, session,
        };
        command.SetAction((parse, _) => Guarded.Run(async () =>
        {
            if (Find(parse.GetValue(projectDir)!, parse.GetValue(session)) is not { } endpoint)
            {
                Console.Error.WriteLine("actorsupervisor: restart: no running cluster node in this project (is `up --cluster-bind ...` running here?)");
                return ExitCodes.Failure;
            }
            return await OrderAsync(endpoint, [parse.GetValue(name)!], n => new ClusterCommands.Restart(n), "restarted");
        }));
        return command;
    }

    private static void WriteJson(ClusterReplies.ClusterStatus status)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var (node, d) in status.Daemons)
            {
                writer.WriteStartObject();
                writer.WriteString("name", d.Name);
                writer.WriteString("owner_id", status.SessionId);
                writer.WriteNumber("pid", d.Pid);
                writer.WriteNumber("port", d.Port);
                writer.WriteBoolean("alive", d.Pid > 0 && d.State.IsActive());
                writer.WriteNull("supervisor_pid");
                writer.WriteBoolean("supervisor_alive", node is not null && status.Nodes.Any(n => n.Name == node && n.Status != "unreachable"));
                writer.WriteString("command", d.Spec.Command);
                if (d.StartedAt is { } started) writer.WriteString("started_at", started);
                else writer.WriteNull("started_at");
                if (d.LogPath is { } log) writer.WriteString("log_path", log);
                else writer.WriteNull("log_path");
                writer.WriteString("state", d.State.ToWord());
                writer.WriteNumber("restarts", d.Restarts);
                if (d.LastFailure is { } failure)
                {
                    writer.WritePropertyName("last_failure");
                    // Source-generated (the native build has no reflection serializer), the same shape as the control API's.
                    JsonSerializer.Serialize(writer, failure, Control.Model.ControlJson.Default.FailureRecord);
                }
                else writer.WriteNull("last_failure");
                if (d.Reason is { } reason) writer.WriteString("reason", reason);
                else writer.WriteNull("reason");
                if (node is not null) writer.WriteString("node", node);
                else writer.WriteNull("node");
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }

    private static void WriteTable(ClusterReplies.ClusterStatus status)
    {
        Console.WriteLine($"session {status.SessionId}: " + (status.Nodes.Count == 0
            ? "no coordinator answered (the cluster is forming, or this node is cut off); this node's daemons only"
            : string.Join(", ", status.Nodes.Select(n => $"{n.Name} ({n.Status}{(n.Roles.Count > 0 ? ", roles " + string.Join(',', n.Roles) : "")})"))));
        var rows = new List<string[]> { new[] { "NAME", "NODE", "STATE", "PID", "PORT", "RESTARTS", "REASON" } };
        foreach (var (node, d) in status.Daemons)
            rows.Add(
            [
                d.Name, node ?? "-", d.State.ToWord(),
                d.Pid > 0 ? d.Pid.ToString(CultureInfo.InvariantCulture) : "-",
                d.Port > 0 ? d.Port.ToString(CultureInfo.InvariantCulture) : "-",
                d.Restarts.ToString(CultureInfo.InvariantCulture),
                d.Reason ?? d.LastFailure?.ToString() ?? "",
            ]);
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
