using System.Globalization;
using System.Net;
using System.Text.Json;
using ActorSupervisor.Cli.Commands;
using ActorSupervisor.Configuration;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Control.Transport;

namespace ActorSupervisor.Cli.Live;

/// <summary>The commands that act on daemons through their running supervisor's control socket.</summary>
internal static class LiveCommands
{
    /// <summary>POST /v1/daemons/NAME/{verb} to the supervisor that runs NAME; prints the daemon's new state.</summary>
    public static async Task<int> DaemonCommand(ControlTarget target, string name, string verb, string done, CancellationToken ct)
    {
        using var client = await target.SupervisorOf(name, ct);
        var daemon = await Call(() => client.SendAsync(HttpMethod.Post, $"v1/daemons/{name}/{verb}", ControlJson.Default.DaemonView, null, ct));
        Console.WriteLine($"{daemon.Name} (session {daemon.Session}): {done}; {Describe(daemon)}");
        return ExitCodes.Ok;
    }

    /// <summary>`stop NAME` through the supervisor: final, no restart. Used by StopCommand when one answers.</summary>
    public static async Task<DaemonView> Stop(ControlClient client, string name, CancellationToken ct, bool withDependents = false) =>
        await Call(() => client.SendAsync(HttpMethod.Post,
            $"v1/daemons/{name}/stop{(withDependents ? "?with_dependents=true" : "")}", ControlJson.Default.DaemonView, null, ct));

    public static async Task<int> StartFromFile(ControlTarget target, string name, string file, CancellationToken ct)
    {
        // The library's parser, as for up: a bad file is exit 2, naming the file, entry and field.
        var spec = SpecFile.Load(file).Specs.FirstOrDefault(s => s.Name == name)
                   ?? throw new UsageException($"--specs: '{file}' has no daemon named '{name}'");
        using var client = await target.OnlySupervisor(ct);
        var body = JsonSerializer.Serialize(spec, ControlJson.Default.DaemonSpec);
        var daemon = await Call(() => client.SendAsync(HttpMethod.Post, "v1/daemons", ControlJson.Default.DaemonView, body, ct));
        Console.WriteLine($"{daemon.Name} (session {daemon.Session}): started; {Describe(daemon)}");
        return ExitCodes.Ok;
    }

    public static async Task<int> Reload(ControlTarget target, bool json, CancellationToken ct)
    {
        using var client = await target.OnlySupervisor(ct);
        var result = await Call(() => client.SendAsync(HttpMethod.Post, "v1/reload", ControlJson.Default.ReloadView, null, ct));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, ControlJson.Default.ReloadView));
        }
        else
        {
            Console.WriteLine($"reloaded {result.Source} (session {client.Session})");
            void Line(string what, IReadOnlyList<string> names)
            {
                if (names.Count > 0) Console.WriteLine($"  {what}: {string.Join(", ", names)}");
            }
            Line("added", result.Added);
            Line("removed", result.Removed);
            Line("restarted", result.Restarted);
            Line("unchanged", result.Unchanged);
            foreach (var note in result.Notes) Console.WriteLine($"  note: {note}");
            foreach (var failure in result.Failed) Console.Error.WriteLine($"actorsupervisor: {failure.Name}: {failure.Error}");
        }
        return result.Failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    public static string Describe(DaemonView d)
    {
        var parts = new List<string> { $"state {d.State}" };
        if (d.Pid > 0) parts.Add($"pid {d.Pid.ToString(CultureInfo.InvariantCulture)}");
        if (d.Port > 0) parts.Add($"port {d.Port.ToString(CultureInfo.InvariantCulture)}");
        return string.Join(", ", parts);
    }

    /// <summary>The API's 400 (bad input) is the contract's exit 2; its other refusals are exit 1.</summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ControlException e) when (e.Status == HttpStatusCode.BadRequest)
        {
            throw new UsageException(e.Message);
        }
    }
}
