using System.CommandLine;
using ActorSupervisor.Cli.Live;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`start NAME`: a stopped or failed daemon runs again; with --specs, a daemon new to the supervisor.</summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var name = ControlTarget.NameArgument("The daemon to start.");
        var specs = new Option<string?>("--specs")
        {
            Description = "Start NAME from this spec file (JSON or HOCON, as for up) in the running supervisor, as a new daemon.",
            HelpName = "FILE",
        };
        var target = ControlTarget.CreateOptions();
        var command = new Command("start",
            "Start a stopped or failed daemon again (its last spec) through its running supervisor, or, with --specs, " +
            "add a daemon from a spec file to the running supervisor.")
        {
            name, specs,
        };
        foreach (var option in target.All) command.Add(option);
        command.SetAction((parse, ct) => Guarded.Run(() => parse.GetValue(specs) is { } file
            ? LiveCommands.StartFromFile(target.From(parse), parse.GetValue(name)!, file, ct)
            : LiveCommands.DaemonCommand(target.From(parse), parse.GetValue(name)!, "start", "started", ct)));
        return command;
    }
}
