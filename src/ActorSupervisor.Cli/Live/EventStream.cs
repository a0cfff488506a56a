using System.Net.Http;
using System.Text.Json;
using ActorSupervisor.Cli.Commands;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Control.Model;

namespace ActorSupervisor.Cli.Live;

/// <summary>`events`: the JSON-lines event stream of every running supervisor in scope, printed as it arrives.</summary>
internal static class EventStream
{
    public static async Task<int> Follow(ControlTarget target, bool json, CancellationToken ct)
    {
        var live = await target.LiveAsync(ct);
        if (live.Count == 0) throw new NoSupervisorException($"no running supervisor answers {target.Scope} (start one with `actorsupervisor up`)");
        var gate = new object();
        try
        {
            await Task.WhenAll(live.Select(async l =>
            {
                using var response = await l.Client.StreamAsync("v1/events?format=jsonl", ct);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await ReadLine(reader, ct) is { } line)
                {
                    if (line.Length == 0) continue;
                    var text = json ? line : Human(line);
                    if (text is null) continue;
                    lock (gate)
                    {
                        Console.Out.WriteLine(text);
                        Console.Out.Flush();
                    }
                }
            }));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (HttpIOException) { } // the supervisor went away: its stream is over
        catch (IOException) { }
        finally
        {
            foreach (var l in live) l.Client.Dispose();
        }
        return ExitCodes.Ok;
    }

    private static async Task<string?> ReadLine(StreamReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadLineAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>up's own fixed line for a state (ts=... daemon=... state=... pid=... port=... restarts=...).</summary>
    private static string? Human(string line)
    {
        EventView? ev;
        try { ev = JsonSerializer.Deserialize(line, ControlJson.Default.EventView); }
        catch (JsonException) { return null; }
        if (ev is null) return null;
        var d = ev.Daemon;
        return LogLine.State(ev.At, d.Name, d.State, d.Pid, d.Port, d.Restarts, LogLine.Reason(d.Reason, d.LastFailure));
    }
}
