using ActorSupervisor.Cli.Output;
using ActorSupervisor.Control;
using ActorSupervisor.Control.Security;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Cli.Running;

/// <summary>
/// `up`'s control endpoint: the socket other commands (status, restart, logs, ...) talk to, and with --http the TCP
/// listener with /metrics and the dashboard. Reload reads the spec file again with the same flags.
/// </summary>
internal static class UpControl
{
    /// <summary>Checks --http and --token-file before anything starts, so a bad one is exit 2 and changes nothing.</summary>
    public static void Check(UpOptions options)
    {
        if (options.TokenFile is { } file)
        {
            if (options.Http is null) throw new UsageException("--token-file: only means something with --http");
            try { AccessToken.Load(file); }
            catch (ArgumentException e) { throw new UsageException($"--token-file: {e.Message}"); }
        }
        if (options.Http is { IsLoopback: false } http && options.TokenFile is null)
            throw new UsageException($"--http: '{http.Text}' is not a loopback address; listening there needs --token-file " +
                                     "(every request must carry the token)");
    }

    public static async Task<ControlServer> StartAsync(Supervisor supervisor, UpPlan plan, UpOptions options, ILoggerFactory loggers)
    {
        var server = await supervisor.StartControlAsync(new ControlOptions
        {
            Http = options.Http,
            TokenFile = options.TokenFile,
            SpecSource = plan.Source,
            Loggers = loggers,
            Reload = _ => Task.Run(() => Reread(plan, options)),
        });
        var http = server.HttpUrl is { } url ? $"; dashboard and API {url} (token in {server.TokenPath}), metrics {url}metrics" : "";
        Diagnostics.Write($"actorsupervisor: control socket {server.SocketPath}{http}");
        return server;
    }

    /// <summary>The spec file as it is now; settings it changed apply only to a new `up`, which the notes say.</summary>
    private static ReloadSource Reread(UpPlan plan, UpOptions options)
    {
        var again = UpPlan.From(options with { Session = plan.Config.SessionId });
        var notes = again.Config == plan.Config
            ? []
            : new[] { $"the settings in {plan.Source} changed; they apply when up is started again (only daemon specs are reloaded)" };
        return new ReloadSource(again.Specs, notes);
    }
}
