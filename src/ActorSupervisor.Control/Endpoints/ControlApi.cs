using System.Globalization;
using System.Text;
using Akka.Actor;
using ActorSupervisor.Actors;
using ActorSupervisor.Configuration;
using ActorSupervisor.Control.Events;
using ActorSupervisor.Control.Logs;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Control.Reload;
using ActorSupervisor.Daemons;
using ActorSupervisor.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorSupervisor.Control.Endpoints;

/// <summary>
/// The routes of the control API (docs/control.md). Every answer comes from the session actor, asked at the time:
/// the API keeps no state of its own about daemons.
/// </summary>
internal sealed class ControlApi(Supervisor supervisor, ControlOptions options, Func<string?> httpUrl, CancellationToken stopping)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _reloading = new(1, 1);

    private string Session => supervisor.Config.SessionId;

    /// <summary>Commands wait for processes to stop and start: a grace period and a launch, with room to spare.</summary>
    private TimeSpan CommandTimeout => supervisor.Config.StopGrace + supervisor.Config.StartupTimeout + TimeSpan.FromSeconds(30);

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/status", Status);
        app.MapGet("/v1/daemons", List);
        app.MapPost("/v1/daemons", StartNew);
        app.MapGet("/v1/daemons/{name}", Get);
        app.MapDelete("/v1/daemons/{name}", context => Command(context, name => new SupervisorCommands.RemoveDaemon(name)));
        app.MapPost("/v1/daemons/{name}/start", context => Command(context, name => new SupervisorCommands.ResumeDaemon(name)));
        app.MapPost("/v1/daemons/{name}/stop", StopOne);
        app.MapPost("/v1/daemons/{name}/restart", context => Command(context, name => new SupervisorCommands.RestartDaemon(name)));
        app.MapGet("/v1/daemons/{name}/logs", Logs);
        app.MapGet("/v1/events", Events);
        app.MapPost("/v1/reload", Reload);
        app.MapGet("/healthz", Health);
    }

    // ---- Queries -------------------------------------------------------------------------------------------------

    private async Task Status(HttpContext context)
    {
        if (!TryFlag(context, "foreign", false, out var foreign, out var error))
        {
            await ControlResults.Error(context, 400, error);
            return;
        }
        var report = await AskStatus(foreign, context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        await ControlResults.Json(context, 200, new StatusView
        {
            Session = Session,
            SupervisorPid = Environment.ProcessId,
            ProjectDir = supervisor.Config.ProjectDir,
            StateDir = supervisor.Config.StateRoot,
            Http = httpUrl(),
            SpecSource = options.SpecSource,
            Daemons = Views(report, now),
            Foreign = report.Foreign.Select(f => new ForeignView(f.Name, f.OwnerId, f.Pid, f.Port, f.Alive, f.SupervisorAlive)).ToList(),
        }, ControlJson.Default.StatusView);
    }

    private async Task List(HttpContext context)
    {
        var report = await AskStatus(false, context.RequestAborted);
        await ControlResults.Json(context, 200, Views(report, DateTimeOffset.UtcNow), ControlJson.Default.ListDaemonView);
    }

    private async Task Get(HttpContext context)
    {
        if (NameOf(context) is not { } name) { await BadName(context); return; }
        var reply = await supervisor.Actor.Ask<object>(new SupervisorQueries.GetDaemon(name), QueryTimeout, context.RequestAborted);
        await Answer(context, reply, name, 200);
    }

    private async Task Health(HttpContext context)
    {
        var report = await AskStatus(false, context.RequestAborted);
        var result = SupervisorHealthCheck.Evaluate(report.Daemons);
        await ControlResults.Json(context, result.Status == HealthStatus.Unhealthy ? 503 : 200, new HealthView
        {
            Status = result.Status.ToString().ToLowerInvariant(),
            Description = result.Description,
            Daemons = result.Data.ToDictionary(kv => kv.Key, kv => kv.Value.ToString() ?? "", StringComparer.Ordinal),
        }, ControlJson.Default.HealthView);
    }

    // ---- Commands ------------------------------------------------------------------------------------------------

    /// <summary>POST /v1/daemons: a daemon new to the session, from the spec in the body (NTM's JSON names).</summary>
    private async Task StartNew(HttpContext context)
    {
        string body;
        try
        {
            body = await ReadBody(context);
        }
        catch (BadHttpRequestException e)
        {
            await ControlResults.Error(context, e.StatusCode, $"the request body was refused: {e.Message}");
            return;
        }
        DaemonSpec spec;
        try
        {
            // The library's one spec parser: the same checks and messages as a spec file, for a one-entry file.
            spec = SpecFile.ParseJson("[" + body + "]", "request body").Single();
        }
        catch (InvalidSpecException e)
        {
            await ControlResults.Invalid(context, e);
            return;
        }
        catch (InvalidOperationException)
        {
            await ControlResults.Error(context, 400, "the request body must be one daemon spec (a JSON object), not a list");
            return;
        }
        await Run(context, new SupervisorCommands.StartDaemon(spec), spec.Name, 201);
    }

    /// <summary>POST /v1/daemons/{name}/stop[?with_dependents=true]: final; with the flag, its dependents first, in reverse order.</summary>
    private async Task StopOne(HttpContext context)
    {
        if (!TryFlag(context, "with_dependents", false, out var withDependents, out var error))
        {
            await ControlResults.Error(context, 400, error);
            return;
        }
        await Command(context, name => new SupervisorCommands.StopDaemon(name, withDependents));
    }

    private async Task Command(HttpContext context, Func<string, object> command)
    {
        if (NameOf(context) is not { } name) { await BadName(context); return; }
        await Run(context, command(name), name, 200);
    }

    private async Task Run(HttpContext context, object command, string name, int okStatus)
    {
        object reply;
        try
        {
            reply = await supervisor.Actor.Ask<object>(command, CommandTimeout, context.RequestAborted);
        }
        catch (AskTimeoutException)
        {
            await ControlResults.Error(context, 504, $"daemon '{name}': no answer within {Duration.Format(CommandTimeout)}; it may still be under way", name);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            reply = new Status.Failure(e);
        }
        await Answer(context, reply, name, okStatus);
    }

    private Task Answer(HttpContext context, object reply, string name, int okStatus) => reply switch
    {
        ManagedDaemon d => ControlResults.Json(context, okStatus, DaemonView.From(d, DateTimeOffset.UtcNow), ControlJson.Default.DaemonView),
        DaemonNotFound => ControlResults.Error(context, 404, $"no daemon named '{name}' in session '{Session}'", name),
        Status.Failure { Cause: InvalidSpecException invalid } => ControlResults.Invalid(context, invalid, name),
        // The session's refusals are sentences meant for people: "already running; stop it first", "shut down".
        Status.Failure f => ControlResults.Error(context, 409, f.Cause?.Message ?? "refused", name),
        _ => ControlResults.Error(context, 500, $"unexpected answer from the supervisor: {reply.GetType().Name}", name),
    };

    // ---- Reload --------------------------------------------------------------------------------------------------

    private async Task Reload(HttpContext context)
    {
        if (options.Reload is null)
        {
            await ControlResults.Error(context, 409, "this supervisor has no spec file to reload");
            return;
        }
        if (!await _reloading.WaitAsync(TimeSpan.Zero, context.RequestAborted))
        {
            await ControlResults.Error(context, 409, "a reload is already under way");
            return;
        }
        try
        {
            ReloadSource source;
            try
            {
                source = await options.Reload(context.RequestAborted);
            }
            catch (InvalidSpecException e)
            {
                await ControlResults.Invalid(context, e); // nothing was changed
                return;
            }
            var report = await AskStatus(false, context.RequestAborted);
            var diff = SpecDiff.Between(report.Daemons.Values.Select(d => d.Spec), source.Specs);
            var failed = new List<ErrorView>();

            async Task Do(object command, string name)
            {
                var reply = await supervisor.Actor.Ask<object>(command, CommandTimeout, CancellationToken.None).ConfigureAwait(false);
                var error = reply switch
                {
                    ManagedDaemon => null,
                    DaemonNotFound => $"no daemon named '{name}'",
                    Status.Failure f => f.Cause?.Message ?? "refused",
                    _ => $"unexpected answer {reply.GetType().Name}",
                };
                if (error is not null) lock (failed) failed.Add(new ErrorView { Error = error, Name = name });
            }

            async Task Guarded(object command, string name)
            {
                try { await Do(command, name); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    lock (failed) failed.Add(new ErrorView { Error = e.Message, Name = name });
                }
            }

            // Removed daemons go first, so the ports and names they free are there for the rest.
            await Task.WhenAll(diff.Removed.Select(n => Guarded(new SupervisorCommands.RemoveDaemon(n), n)));
            await Task.WhenAll(diff.Changed.Select(s => Guarded(new SupervisorCommands.RestartDaemon(s.Name, s), s.Name))
                .Concat(diff.Added.Select(s => Guarded(new SupervisorCommands.StartDaemon(s), s.Name))));
            await ControlResults.Json(context, 200, new ReloadView
            {
                Source = options.SpecSource ?? "",
                Added = diff.Added.Select(s => s.Name).ToList(),
                Removed = diff.Removed,
                Restarted = diff.Changed.Select(s => s.Name).ToList(),
                Unchanged = diff.Unchanged,
                Failed = failed.OrderBy(f => f.Name, StringComparer.Ordinal).ToList(),
                Notes = source.Notes,
            }, ControlJson.Default.ReloadView);
        }
        finally
        {
            _reloading.Release();
        }
    }

    // ---- Streams -------------------------------------------------------------------------------------------------

    /// <summary>GET /v1/daemons/{name}/logs?lines=N&amp;follow=true: the log's last lines, then (follow) what is appended.</summary>
    private async Task Logs(HttpContext context)
    {
        if (NameOf(context) is not { } name) { await BadName(context); return; }
        var lines = 100;
        if (context.Request.Query["lines"] is { Count: > 0 } text &&
            (!int.TryParse(text[0], NumberStyles.None, CultureInfo.InvariantCulture, out lines) || lines > LogTail.MaxLines))
        {
            await ControlResults.Error(context, 400, $"lines: '{text[0]}' must be a whole number from 0 to {LogTail.MaxLines}", name);
            return;
        }
        if (!TryFlag(context, "follow", false, out var follow, out var error))
        {
            await ControlResults.Error(context, 400, error, name);
            return;
        }
        var reply = await supervisor.Actor.Ask<object>(new SupervisorQueries.GetDaemon(name), QueryTimeout, context.RequestAborted);
        if (reply is not ManagedDaemon daemon)
        {
            await Answer(context, reply, name, 200);
            return;
        }
        var path = daemon.LogPath ?? Path.Combine(supervisor.Config.StateRoot, "logs", $"{name}-{Session}.log");

        var response = context.Response;
        response.ContentType = "text/plain; charset=utf-8";
        var (last, end) = LogTail.Last(path, lines);
        var tail = new StringBuilder();
        foreach (var line in last) tail.Append(line).Append('\n');
        await response.WriteAsync(tail.ToString(), context.RequestAborted);
        if (!follow) return;
        await response.Body.FlushAsync(context.RequestAborted);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await LogTail.FollowAsync(path, end, async line =>
            {
                await response.WriteAsync(line + "\n", cancel.Token);
                await response.Body.FlushAsync(cancel.Token);
            }, cancel.Token);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// GET /v1/events: a snapshot of every daemon (unless ?snapshot=false), then every state change, as JSON lines
    /// (application/x-ndjson) or server-sent events (?format=sse, or Accept: text/event-stream).
    /// </summary>
    private async Task Events(HttpContext context)
    {
        var format = context.Request.Query["format"] is { Count: > 0 } f ? f[0] : null;
        var sse = format == "sse" || (format is null && context.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream") == true));
        if (format is not null and not "sse" and not "jsonl")
        {
            await ControlResults.Error(context, 400, $"format: '{format}' must be jsonl or sse");
            return;
        }
        if (!TryFlag(context, "snapshot", true, out var snapshot, out var error))
        {
            await ControlResults.Error(context, 400, error);
            return;
        }

        var response = context.Response;
        response.ContentType = sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(context.RequestAborted);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var (reader, handle) = EventStreams.Open(supervisor.System, supervisor.Actor, Session, snapshot);
        using (handle)
        {
            try
            {
                while (true)
                {
                    // A comment every 15 s keeps proxies and browsers from timing out an idle SSE stream.
                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
                    if (sse) tick.CancelAfter(TimeSpan.FromSeconds(15));
                    bool more;
                    try
                    {
                        more = await reader.WaitToReadAsync(tick.Token);
                    }
                    catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                    {
                        await response.Body.WriteAsync(":\n\n"u8.ToArray(), cancel.Token);
                        await response.Body.FlushAsync(cancel.Token);
                        continue;
                    }
                    if (!more) break;
                    while (reader.TryRead(out var ev))
                    {
                        var json = ControlResults.Line(ev, ControlJson.Default.EventView);
                        if (sse)
                        {
                            await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {ev.Type}\ndata: "), cancel.Token);
                            await response.Body.WriteAsync(json.AsMemory(0, json.Length - 1), cancel.Token);
                            await response.Body.WriteAsync("\n\n"u8.ToArray(), cancel.Token);
                        }
                        else await response.Body.WriteAsync(json, cancel.Token);
                    }
                    await response.Body.FlushAsync(cancel.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (InvalidOperationException) { } // the tap ended the stream: the client fell behind
        }
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    private Task<SupervisorReplies.StatusReport> AskStatus(bool foreign, CancellationToken ct) =>
        supervisor.Actor.Ask<SupervisorReplies.StatusReport>(new SupervisorQueries.GetStatus(foreign), QueryTimeout, ct);

    private static List<DaemonView> Views(SupervisorReplies.StatusReport report, DateTimeOffset now) =>
        report.Daemons.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => DaemonView.From(d, now)).ToList();

    private static string? NameOf(HttpContext context) =>
        context.Request.RouteValues["name"] is string name && Validation.IsSafeName(name) ? name : null;

    private static Task BadName(HttpContext context)
    {
        var raw = context.Request.RouteValues["name"]?.ToString() ?? "";
        var shown = raw.Length > 80 ? raw[..80] + "..." : raw;
        return ControlResults.Error(context, 400, $"name: '{shown}' must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'");
    }

    /// <summary>A true/false query flag; false (with the sentence to answer 400 with) for a value that is neither.</summary>
    private static bool TryFlag(HttpContext context, string name, bool defaultValue, out bool value, out string error)
    {
        value = defaultValue;
        error = "";
        if (context.Request.Query[name] is not { Count: > 0 } values) return true;
        switch (values[0])
        {
            case "true" or "1" or "":
                value = true;
                return true;
            case "false" or "0":
                value = false;
                return true;
        }
        error = $"{name}: '{values[0]}' must be true or false";
        return false;
    }

    private const int MaxBody = 64 * 1024;

    private static async Task<string> ReadBody(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBody)
                throw new BadHttpRequestException($"larger than {MaxBody / 1024} KiB", 413);
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
