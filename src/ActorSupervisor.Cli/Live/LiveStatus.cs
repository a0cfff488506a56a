using System.Globalization;
using System.Text.Json;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Control.Transport;
using ActorSupervisor.PidFiles;
using Spectre.Console;

namespace ActorSupervisor.Cli.Live;

/// <summary>
/// `status` from the running supervisors: every daemon of theirs in every state (failed and restarting included, which
/// PID files cannot show), with restarts, last failure, uptime; then the PID files of sessions whose supervisor does
/// not answer (orphans, stale files), as before. When no supervisor answers, `status` falls back to the PID files
/// alone and says so (<see cref="NoteFallback"/>).
/// </summary>
internal static class LiveStatus
{
    /// <summary>Shows the live status and returns true, or returns false when no supervisor answers.</summary>
    public static async Task<bool> TryShowAsync(string stateRoot, string? session, bool json, CancellationToken ct = default)
    {
        var live = await ControlClient.DiscoverAsync(stateRoot, session, ct);
        if (live.Count == 0) return false; // the caller says so when it has PID files to show instead
        foreach (var l in live) l.Client.Dispose();
        var statuses = live.Select(l => l.Status).ToList();
        var liveSessions = statuses.Select(s => s.Session).ToHashSet(StringComparer.Ordinal);
        var others = new PidFileStore(stateRoot).List()
            .Where(e => !liveSessions.Contains(e.Info.OwnerId) && (session is null || e.Info.OwnerId == session))
            .ToList();
        if (json) WriteJson(statuses, others);
        else WriteTable(statuses, others);
        return true;
    }

    public static void NoteFallback(string stateRoot)
    {
        try { Console.Error.WriteLine($"actorsupervisor: no running supervisor answers in {ControlSocket.DirFor(stateRoot)}; showing the PID files"); }
        catch (IOException) { }
    }

    /// <summary>
    /// The fields live status adds, for a PID file's row when no supervisor answers: the process is there or not
    /// (running or stopped); restarts and failures are only known to a supervisor.
    /// </summary>
    public static void WriteFallbackFields(Utf8JsonWriter writer, bool alive)
    {
        writer.WriteString("state", alive ? "running" : "stopped");
        writer.WriteNull("restarts");
        writer.WriteNull("last_failure");
        writer.WriteString("source", "pid_file");
    }

    private static void WriteJson(IReadOnlyList<StatusView> statuses, IReadOnlyList<PidFileEntry> others)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var status in statuses)
            foreach (var d in status.Daemons)
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteString("owner_id", d.Session);
                // No process, no pid: null rather than 0, which kill(1) would take as "the whole process group".
                if (d.Pid > 0) w.WriteNumber("pid", d.Pid);
                else w.WriteNull("pid");
                w.WriteNumber("port", d.Port);
                w.WriteBoolean("alive", d.Pid > 0 && d.UptimeSeconds is not null);
                w.WriteNumber("supervisor_pid", status.SupervisorPid);
                w.WriteBoolean("supervisor_alive", true);
                w.WriteString("command", d.Command);
                if (d.StartedAt is { } at) w.WriteString("started_at", at);
                else w.WriteNull("started_at");
                if (d.LogPath is { } log) w.WriteString("log_path", log);
                else w.WriteNull("log_path");
                w.WriteString("state", d.State);
                w.WriteNumber("restarts", d.Restarts);
                w.WritePropertyName("last_failure");
                if (d.LastFailure is { } failure)
                {
                    w.WriteStartObject();
                    w.WriteString("reason", failure.Reason);
                    if (failure.ExitCode is { } code) w.WriteNumber("exit_code", code);
                    else w.WriteNull("exit_code");
                    if (failure.Signal is { } signal) w.WriteNumber("signal", signal);
                    else w.WriteNull("signal");
                    if (failure.ProbeError is { } probe) w.WriteString("probe_error", probe);
                    else w.WriteNull("probe_error");
                    w.WriteStartArray("log_tail");
                    foreach (var line in failure.LogTail) w.WriteStringValue(line);
                    w.WriteEndArray();
                    w.WriteString("at", failure.At);
                    w.WriteEndObject();
                }
                else w.WriteNullValue();
                w.WriteNumber("consecutive_failures", d.ConsecutiveFailures);
                if (d.LastHealth is { } health) w.WriteString("last_health", health);
                else w.WriteNull("last_health");
                if (d.UptimeSeconds is { } up) w.WriteNumber("uptime_seconds", up);
                else w.WriteNull("uptime_seconds");
                w.WriteString("source", "supervisor");
                w.WriteEndObject();
            }
            foreach (var (_, name, info) in others)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("owner_id", info.OwnerId);
                w.WriteNumber("pid", info.Pid);
                w.WriteNumber("port", info.Port);
                w.WriteBoolean("alive", info.IsAlive);
                if (info.SupervisorPid is { } supervisor) w.WriteNumber("supervisor_pid", supervisor);
                else w.WriteNull("supervisor_pid");
                w.WriteBoolean("supervisor_alive", info.SupervisorAlive);
                w.WriteString("command", info.Command);
                w.WriteString("started_at", info.StartedAt);
                if (info.LogPath is { } log) w.WriteString("log_path", log);
                else w.WriteNull("log_path");
                WriteFallbackFields(w, info.IsAlive);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        stdout.Write("\n"u8);
    }

    private static void WriteTable(IReadOnlyList<StatusView> statuses, IReadOnlyList<PidFileEntry> others)
    {
        var console = TableConsole();
        var now = DateTimeOffset.UtcNow;
        foreach (var status in statuses)
        {
            console.MarkupLineInterpolated(
                $"[bold]session {status.Session}[/] supervisor pid {status.SupervisorPid}{(status.Http is { } url ? $", dashboard {url}" : "")}");
            console.Write(DaemonTable.Render(status.Daemons.Select(DaemonRow.From), showSession: false, now));
        }
        if (others.Count == 0) return;
        console.MarkupLine("[bold]PID files of sessions without a running supervisor[/]");
        console.Write(DaemonTable.Render(others.Select(e => new DaemonRow(e.Name, e.Info.OwnerId,
            e.Info.IsAlive ? "running" : "stopped", e.Info.IsAlive ? e.Info.Pid : 0, e.Info.Port, null, null,
            e.Info.IsAlive ? e.Info.StartedAt : null, e.Info.IsAlive ? null : "stale PID file (no such process)")), showSession: true, now));
    }

    /// <summary>Wide enough for the table when stdout is a pipe or file (Spectre would assume 80 columns).</summary>
    private static IAnsiConsole TableConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected) console.Profile.Width = 200;
        return console;
    }
}
