using System.CommandLine;
using ActorSupervisor.Cli.Running;

namespace ActorSupervisor.Cli.Commands;

internal static class UpCommand
{
    public static Command Create()
    {
        var specs = new Option<string?>("--specs")
        {
            Description = "Daemon specs: a JSON array of DaemonSpec (NTM's field names) or a HOCON file (.conf) with " +
                          "actorsupervisor.daemons = [...] and settings. Default: the bundled demo (web, api, worker).",
            HelpName = "FILE",
        };
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("Session id: names the PID and log files and lets a later `up` adopt this one's " +
                                         "daemons. Default: a new random id, printed at start.");
        var healthInterval = CliOptions.Duration("--health-interval", "Time between health checks of a running daemon.", "5s");
        var maxRestarts = CliOptions.Count("--max-restarts",
            "Consecutive failed runs after which a daemon is left failed. Default: 5.", 1, " (0 would mean the default)");
        var backoffMin = CliOptions.Duration("--backoff-min", "Backoff before the first restart; doubles each time.", "1s");
        var backoffMax = CliOptions.Duration("--backoff-max", "Longest backoff between restarts.", "60s");
        var stopGrace = CliOptions.Duration("--stop-grace", "Time between SIGTERM and SIGKILL when stopping a daemon.", "2s");

        var http = ControlTarget.HttpOption();
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = "With --http: the token every TCP request must carry (first line of the file, at least 16 characters, " +
                          "mode 0600). Required for a non-loopback address; without it a loopback listener makes one.",
            HelpName = "FILE",
        };

        var command = new Command("up", "Run the daemons in the foreground until SIGINT or SIGTERM, then stop them all.")
        {
            specs, projectDir, session, healthInterval, maxRestarts, backoffMin, backoffMax, stopGrace, http, tokenFile,
        };
        command.SetAction((parse, _) => Guarded.Run(() => UpRunner.RunAsync(new UpOptions(
            parse.GetValue(specs),
            parse.GetValue(projectDir)!,
            parse.GetValue(session),
            parse.GetValue(healthInterval),
            parse.GetValue(maxRestarts),
            parse.GetValue(backoffMin),
            parse.GetValue(backoffMax),
            parse.GetValue(stopGrace)) { Http = parse.GetValue(http), TokenFile = parse.GetValue(tokenFile) })));
        return command;
    }
}
