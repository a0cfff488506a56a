using System.CommandLine;
using ActorSupervisor.Cli.Live;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`logs NAME [-n N] [-f]`: a daemon's log, from its file; a running supervisor is asked where it is, if one answers.</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var name = ControlTarget.NameArgument("The daemon whose log to show.");
        var lines = CliOptions.Count("--lines", "How many of the last lines to show (at most 10000). Default: 100.", 0, "", 10_000);
        lines.Aliases.Add("-n");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing lines as they are written, until Ctrl+C." };
        var target = ControlTarget.CreateOptions();
        var command = new Command("logs",
            "Show a daemon's log (its output and the supervisor's [supervisor] lines), with or without a running supervisor.")
        {
            name, lines, follow,
        };
        foreach (var option in target.All) command.Add(option);
        command.SetAction((parse, ct) => Guarded.Run(() =>
            DaemonLogs.Show(target.From(parse), parse.GetValue(name)!, parse.GetValue(lines) ?? 100, parse.GetValue(follow), ct)));
        return command;
    }
}
