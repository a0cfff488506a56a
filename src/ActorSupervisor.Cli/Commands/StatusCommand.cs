using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorSupervisor.Cli.Live;
using ActorSupervisor.Cli.Orphans;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// `status`: what the PID files of a project say, checked against the live process table. It needs no running `up`,
/// so it also shows orphans whose supervisor is gone and stale files whose process is.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("Only daemons of this session.");
        var json = new Option<bool>("--json") { Description = "Print a JSON array, one object per PID file." };
        var command = new Command("status", "Show the daemons recorded in the project's PID files: alive or stale, ports, owners.")
        {
            projectDir, session, json,
        };
        command.SetAction((parse, ct) => Guarded.Run(async () =>
        {
            // A cluster member of this project answers for the whole cluster, every daemon with its node.
            if (Cluster.ClusterCli.Find(parse.GetValue(projectDir)!, parse.GetValue(session)) is { } node)
                return await Cluster.ClusterCli.StatusAsync(node, parse.GetValue(json));
            // The running supervisors first (every state, restarts, failures); the PID files when none answers.
            if (await LiveStatus.TryShowAsync(ProjectState.Store(parse.GetValue(projectDir)!).StateRoot, parse.GetValue(session),
                    parse.GetValue(json), ct)) return ExitCodes.Ok;
            var entries = ProjectState.Store(parse.GetValue(projectDir)!).List()
                .Where(e => parse.GetValue(session) is not { } s || e.Info.OwnerId == s).ToList();
            if (parse.GetValue(json)) WriteJson(entries);
            else WriteTable(entries, parse.GetValue(projectDir)!);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteJson(IReadOnlyList<PidFileEntry> entries)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var (_, name, info) in entries)
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteString("owner_id", info.OwnerId);
                writer.WriteNumber("pid", info.Pid);
                writer.WriteNumber("port", info.Port);
                writer.WriteBoolean("alive", info.IsAlive);
                if (info.SupervisorPid is { } supervisor) writer.WriteNumber("supervisor_pid", supervisor);
                else writer.WriteNull("supervisor_pid");
                writer.WriteBoolean("supervisor_alive", info.SupervisorAlive);
                writer.WriteString("command", info.Command);
                writer.WriteString("started_at", info.StartedAt);
                if (info.LogPath is { } log) writer.WriteString("log_path", log);
                else writer.WriteNull("log_path");
                LiveStatus.WriteFallbackFields(writer, info.IsAlive);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }

    private static void WriteTable(IReadOnlyList<PidFileEntry> entries, string projectDir)
    {
        if (entries.Count == 0)
        {
            Console.WriteLine($"no daemons: no PID files in {ProjectState.Store(projectDir).PidDir}");
            return;
        }
        var rows = new List<string[]> { new[] { "NAME", "SESSION", "PID", "PORT", "ALIVE", "SUPERVISOR", "STARTED", "LOG" } };
        foreach (var (_, name, info) in entries)
        {
            var supervisor = info.SupervisorPid is { } p ? $"{p} ({(info.SupervisorAlive ? "alive" : "gone")})" : "-";
            rows.Add(
            [
                name,
                info.OwnerId,
                info.Pid.ToString(CultureInfo.InvariantCulture),
                info.Port > 0 ? info.Port.ToString(CultureInfo.InvariantCulture) : "-",
                info.IsAlive ? "yes" : "no (stale)",
                supervisor,
                info.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                info.LogPath ?? "-",
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
