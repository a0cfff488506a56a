using System.Globalization;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Daemons;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorSupervisor.Cli.Output;

/// <summary>One daemon as a table row, whichever way it was learnt (up's own events, a supervisor's API, a PID file).</summary>
internal sealed record DaemonRow(
    string Name,
    string? Session,
    string State,
    int Pid,
    int Port,
    int? Restarts,
    DateTimeOffset? LastHealth,
    DateTimeOffset? StartedAt,
    string? LastFailure)
{
    public static DaemonRow From(ManagedDaemon d) => new(d.Name, d.OwnerId, d.State.ToWord(), d.Pid, d.Port, d.Restarts, d.LastHealth,
        d.Pid > 0 && d.State.IsActive() ? d.StartedAt : null, d.LastFailure?.ToString());

    public static DaemonRow From(DaemonView d) => new(d.Name, d.Session, d.State, d.Pid, d.Port, d.Restarts, d.LastHealth,
        d.UptimeSeconds is not null ? d.StartedAt : null, d.LastFailure?.ToString());
}

/// <summary>
/// The one table style of `up`'s live view and `status`: name, state (coloured), pid, port, restarts, last health,
/// uptime, last failure, and the session when more than one is shown.
/// </summary>
internal static class DaemonTable
{
    private const int FailureWidth = 60;

    public static Table Render(IEnumerable<DaemonRow> rows, bool showSession, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Rounded);
        var columns = new List<string> { "name" };
        if (showSession) columns.Add("session");
        columns.AddRange(["state", "pid", "port", "restarts", "last health", "uptime", "last failure"]);
        foreach (var column in columns) table.AddColumn(new TableColumn(column));
        foreach (var d in rows)
        {
            var cells = new List<IRenderable> { new Text(d.Name) };
            if (showSession) cells.Add(new Text(d.Session ?? "-"));
            cells.Add(new Text(d.State, new Style(StateColor(d.State))));
            cells.Add(new Text(d.Pid > 0 ? d.Pid.ToString(CultureInfo.InvariantCulture) : "-"));
            cells.Add(new Text(d.Port > 0 ? d.Port.ToString(CultureInfo.InvariantCulture) : "-"));
            cells.Add(new Text(d.Restarts?.ToString(CultureInfo.InvariantCulture) ?? "-"));
            cells.Add(new Text(d.LastHealth is { } h ? Ago(now - h) + " ago" : "-"));
            cells.Add(new Text(d.StartedAt is { } at ? Ago(now - at) : "-"));
            cells.Add(new Text(Cut(d.LastFailure), new Style(Color.Grey)));
            table.AddRow(cells);
        }
        return table;
    }

    public static Color StateColor(string state) => state switch
    {
        "running" => Color.Green,
        "starting" or "restarting" => Color.Yellow,
        "failed" => Color.Red,
        "unhealthy" => Color.Orange1,
        _ => Color.Grey,
    };

    public static string Ago(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
            : $"{(int)span.TotalSeconds}s";
    }

    private static string Cut(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "-";
        var line = text.ReplaceLineEndings(" ");
        return line.Length > FailureWidth ? line[..(FailureWidth - 3)] + "..." : line;
    }
}
