using System.Globalization;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// For a terminal: one table, redrawn in place when a daemon changes state (and once a second, for uptimes and
/// health times). Warnings are shown under it rather than written across it.
/// </summary>
internal sealed class LiveView : UpView
{
    private const int MessagesShown = 5;
    private readonly object _messagesGate = new();
    private readonly Queue<string> _messages = new();
    private volatile bool _dirty = true;
    private volatile string _footer = "Ctrl+C stops every daemon and exits.";

    public override void Starting(SupervisorConfig config, string specsSource, int daemons)
    {
        AnsiConsole.MarkupLineInterpolated(
            $"[bold]actorsupervisor[/] session [cyan]{config.SessionId}[/] (pid {Environment.ProcessId}), project {config.ProjectDir}");
        var settings = $"health-interval {Duration.Format(config.HealthInterval)}, max-restarts {config.MaxRestarts}, " +
                       $"backoff {Duration.Format(config.RestartBackoffMin)}..{Duration.Format(config.RestartBackoffMax)}, " +
                       $"stop-grace {Duration.Format(config.StopGrace)}";
        AnsiConsole.MarkupLineInterpolated($"[grey]{daemons} daemon(s) from {specsSource}; {settings}[/]");
    }

    public override void Launched(ManagedDaemon daemon)
    {
        var how = daemon.Adopted ? "adopted" : "started";
        AnsiConsole.MarkupLineInterpolated(
            $"  {how} [bold]{daemon.Name}[/] pid {daemon.Pid} port {Port(daemon.Port)} log [grey]{daemon.LogPath ?? "-"}[/]");
    }

    public override void LaunchFailed(string name, string error) =>
        AnsiConsole.MarkupLineInterpolated($"  [red]{name} did not start:[/] {error}");

    public override void AllStartsIssued(SupervisorConfig config, int daemons) => _dirty = true;

    public override async Task ShowAsync(Func<Task<IReadOnlyDictionary<string, ManagedDaemon>>> poll, Task finished)
    {
        using var _ = Diagnostics.RedirectTo(Remember);
        await AnsiConsole.Live(Render())
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .Cropping(VerticalOverflowCropping.Bottom)
            .StartAsync(async ctx =>
            {
                var nextPoll = DateTime.UtcNow;
                var nextDraw = DateTime.UtcNow;
                while (true)
                {
                    if (DateTime.UtcNow >= nextPoll && !finished.IsCompleted)
                    {
                        try { MergeHealth(await poll()); }
                        catch (Exception e) when (e is not OutOfMemoryException) { } // shutting down: the table still shows the last state
                        nextPoll = DateTime.UtcNow.AddSeconds(1);
                    }
                    var done = finished.IsCompleted;
                    if (_dirty || DateTime.UtcNow >= nextDraw || done)
                    {
                        _dirty = false;
                        ctx.UpdateTarget(Render());
                        ctx.Refresh();
                        nextDraw = DateTime.UtcNow.AddSeconds(1);
                    }
                    if (done) return;
                    await Task.WhenAny(finished, Task.Delay(100));
                }
            });
    }

    public override void Stopping(string why)
    {
        _footer = $"{why}: stopping every daemon...";
        _dirty = true;
    }

    public override void Stopped(IReadOnlyDictionary<string, ManagedDaemon> final)
    {
        var failed = final.Values.Count(d => d.State == DaemonState.Failed);
        AnsiConsole.MarkupLineInterpolated($"[bold]stopped[/] {final.Count - failed} daemon(s){(failed > 0 ? $", {failed} had failed" : "")}.");
    }

    protected override void Show(SupervisorEvents.DaemonStateChanged change) => _dirty = true;

    private void Remember(string message)
    {
        lock (_messagesGate)
        {
            _messages.Enqueue(message);
            while (_messages.Count > MessagesShown) _messages.Dequeue();
        }
        _dirty = true;
    }

    private IRenderable Render()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "name", "state", "pid", "port", "restarts", "last health", "uptime" })
            table.AddColumn(new TableColumn(column));
        var now = DateTimeOffset.UtcNow;
        foreach (var d in Latest())
        {
            var uptime = d.StartedAt is { } at && d.State.IsActive() && d.Pid > 0 ? Ago(now - at) : "-";
            var health = d.LastHealth is { } h ? Ago(now - h) + " ago" : "-";
            table.AddRow(
                new Text(d.Name),
                new Text(d.State.ToWord(), new Style(StateColor(d.State))),
                new Text(d.Pid > 0 ? d.Pid.ToString(CultureInfo.InvariantCulture) : "-"),
                new Text(Port(d.Port)),
                new Text(d.Restarts.ToString(CultureInfo.InvariantCulture)),
                new Text(health),
                new Text(uptime));
        }

        var rows = new List<IRenderable> { table };
        lock (_messagesGate)
            rows.AddRange(_messages.Select(m => (IRenderable)new Text(m, new Style(Color.Yellow))));
        rows.Add(new Text(_footer, new Style(Color.Grey)));
        return new Rows(rows);
    }

    private static Color StateColor(DaemonState state) => state switch
    {
        DaemonState.Running => Color.Green,
        DaemonState.Starting or DaemonState.Restarting => Color.Yellow,
        DaemonState.Failed => Color.Red,
        DaemonState.Unhealthy => Color.Orange1,
        _ => Color.Grey,
    };

    private static string Port(int port) => port > 0 ? port.ToString(CultureInfo.InvariantCulture) : "-";

    private static string Ago(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
            : $"{(int)span.TotalSeconds}s";
    }
}
