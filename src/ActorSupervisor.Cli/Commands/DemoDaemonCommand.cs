using System.CommandLine;
using ActorSupervisor.Cli.Demo;

namespace ActorSupervisor.Cli.Commands;

/// <summary>Hidden: the program the bundled demo specs run, so the demo needs nothing but this executable.</summary>
internal static class DemoDaemonCommand
{
    public static Command Create()
    {
        var port = CliOptions.Count("--port", "Serve HTTP on 127.0.0.1:N (GET /health answers 200 ok). Default: $PORT, else no server.",
            1, "", maximum: 65535);
        var crashAfter = CliOptions.Duration("--crash-after", "Exit with code 1 after this long.", "never");
        var exitAfter = CliOptions.Duration("--exit-after", "Exit with code 0 after this long (a one-shot task).", "never");
        var command = new Command("demo-daemon", "A tiny daemon for the bundled demo.") { port, crashAfter, exitAfter };
        command.Hidden = true;
        command.SetAction((parse, _) => Guarded.Run(() =>
        {
            var chosen = parse.GetValue(port);
            if (chosen is null && int.TryParse(Environment.GetEnvironmentVariable("PORT"), out var fromEnv) && fromEnv > 0)
                chosen = fromEnv;
            return DemoDaemon.RunAsync(chosen, parse.GetValue(crashAfter), parse.GetValue(exitAfter));
        }));
        return command;
    }
}
