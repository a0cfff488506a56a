using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorSupervisor.Cli.Live;
using ActorSupervisor.Cli.Orphans;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// `status`: what the PID files of a project say, checked against the live process table by the identity rules of
/// <see cref="Ownership"/>. It needs no running `up`, so it also shows orphans whose supervisor is gone, stale files
/// whose process is, unusable files (garbage, symbolic links, huge ones), and daemons running without a PID file
/// (their supervisor was killed before it wrote one), found by the launch tag in their environment.
/// </summary>
internal static class StatusCommand
{
    /// <summary>One row: a PID file (usable or not) or an untracked launch.</summary>
    private sealed record Row(string Name, string? Session, int? Pid, int Port, bool Alive, int? SupervisorPid, bool SupervisorAlive,
        string? Command, DateTimeOffset? StartedAt, string? LogPath, string? Problem, bool Untracked, bool Unusable);

    public static Command Create()
    {
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("Only daemons of this session.");
        var stateDir = ProjectState.StateDirOption();
        var specs = ProjectState.SpecsOption();
        var json = new Option<bool>("--json") { Description = "Print a JSON array, one object per PID file (and per daemon running without one)." };
        var command = new Command("status", "Show the daemons recorded in the project's PID files: alive or stale, ports, owners.")
        {
            projectDir, session, stateDir, specs, json,
        };
        command.SetAction((parse, ct) => Guarded.Run(async () =>
        {
            var store = ProjectState.Store(parse.GetValue(projectDir)!, parse.GetValue(stateDir), parse.GetValue(specs));
            // A cluster member of this project answers for the whole cluster, every daemon with its node.
            if (Cluster.ClusterCli.FindIn(store.StateRoot, parse.GetValue(session)) is { } node)
                return await Cluster.ClusterCli.StatusAsync(node, parse.GetValue(json));
            // The running supervisors first (every state, restarts, failures); the PID files when none answers.
            if (await LiveStatus.TryShowAsync(store.StateRoot, parse.GetValue(session), parse.GetValue(json), ct)) return ExitCodes.Ok;
            var rows = Rows(store).Where(r => parse.GetValue(session) is not { } s || r.Session == s).ToList();
            // Said only when there is something to show: an empty project is simply empty, on stdout and stderr alike.
            if (rows.Count > 0) LiveStatus.NoteFallback(store.StateRoot);
            if (parse.GetValue(json)) WriteJson(rows);
            else WriteTable(rows, store);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static IEnumerable<Row> Rows(PidFileStore store)
    {
        var reports = store.Inspect();
        foreach (var r in reports)
        {
            if (r.Info is not { } info || r.Problem is not null)
            {
                yield return new Row(r.Name, r.Session.Length > 0 ? r.Session : null, r.Info?.Pid, r.Info?.Port ?? 0, false,
                    null, false, r.Info?.Command, r.Info?.StartedAt, r.Info?.LogPath, r.Problem, false, true);
                continue;
            }
            var verdict = Ownership.Verify(info, r.Name, r.Session);
            yield return new Row(r.Name, info.OwnerId, info.Pid, info.Port, verdict.IsOurs, info.SupervisorPid, info.SupervisorAlive,
                info.Command, info.StartedAt, info.LogPath, verdict.IsOurs ? null : verdict.Reason, false, false);
        }
        var recorded = reports.Select(r => r.Info?.LaunchId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var u in store.Untracked(recorded))
        {
            var leader = u.Leader.Process.Pid;
            var port = int.TryParse(ProcFs.EnvironmentVariable(leader, "PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
            yield return new Row(u.Tag.Name, u.Tag.Session, leader, port, true, u.Tag.Supervisor.Pid, u.SupervisorAlive,
                ProcFs.CommandLine(leader)?.FirstOrDefault(), ProcFs.WallClock(u.Leader.Process.StartTime),
                store.LogPathFor(u.Tag.Name, u.Tag.Session),
                $"running without a PID file ({u.Members.Count} process{(u.Members.Count == 1 ? "" : "es")})", true, false);
        }
    }

    private static void WriteJson(IReadOnlyList<Row> rows)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var row in rows)
            {
                writer.WriteStartObject();
                writer.WriteString("name", row.Name);
                WriteOrNull(writer, "owner_id", row.Session);
                if (row.Pid is { } pid) writer.WriteNumber("pid", pid);
                else writer.WriteNull("pid");
                writer.WriteNumber("port", row.Port);
                writer.WriteBoolean("alive", row.Alive);
                if (row.SupervisorPid is { } supervisor) writer.WriteNumber("supervisor_pid", supervisor);
                else writer.WriteNull("supervisor_pid");
                writer.WriteBoolean("supervisor_alive", row.SupervisorAlive);
                WriteOrNull(writer, "command", row.Command);
                if (row.StartedAt is { } at) writer.WriteString("started_at", at);
                else writer.WriteNull("started_at");
                WriteOrNull(writer, "log_path", row.LogPath);
                writer.WriteBoolean("untracked", row.Untracked);
                WriteOrNull(writer, "problem", row.Problem);
                LiveStatus.WriteFallbackFields(writer, row.Alive);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }

    private static void WriteOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    private static void WriteTable(IReadOnlyList<Row> rows, PidFileStore store)
    {
        if (rows.Count == 0)
        {
            Console.WriteLine($"no daemons: no PID files in {store.PidDir}");
            return;
        }
        var table = new List<string[]> { new[] { "NAME", "SESSION", "PID", "PORT", "ALIVE", "SUPERVISOR", "STARTED", "LOG" } };
        foreach (var row in rows)
        {
            var supervisor = row.SupervisorPid is { } p ? $"{p} ({(row.SupervisorAlive ? "alive" : "gone")})" : "-";
            var alive = row.Unusable ? "no (unusable)" : row.Untracked ? "yes (untracked)" : row.Alive ? "yes" : "no (stale)";
            table.Add(
            [
                row.Name,
                row.Session ?? "?",
                row.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",
                row.Port > 0 ? row.Port.ToString(CultureInfo.InvariantCulture) : "-",
                alive,
                supervisor,
                row.StartedAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                row.LogPath ?? "-",
            ]);
        }
        var widths = Enumerable.Range(0, table[0].Length).Select(c => table.Max(r => r[c].Length)).ToArray();
        foreach (var line in table)
            Console.WriteLine(string.Join("  ", line.Select((cell, c) => c == line.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        foreach (var row in rows.Where(r => r.Problem is not null && (r.Unusable || r.Untracked)))
            Console.WriteLine($"  {row.Name}: {row.Problem}");
    }
}
