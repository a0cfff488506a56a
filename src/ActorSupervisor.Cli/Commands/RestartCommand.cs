using System.CommandLine;
using ActorSupervisor.Cli.Live;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`restart NAME`: a new process at once, on the same port, through the daemon's running supervisor.</summary>
internal static class RestartCommand
{
    public static Command Create()
    {
        var name = ControlTarget.NameArgument("The daemon to restart.");
        var target = ControlTarget.CreateOptions();
        var command = new Command("restart",
            "Restart a daemon now through its running supervisor: SIGTERM (grace, SIGKILL), then a new process on the same port. " +
            "No failure is counted and there is no backoff. A stopped or failed daemon is started again.")
        {
            name,
        };
        foreach (var option in target.All) command.Add(option);
        command.SetAction((parse, ct) => Guarded.Run(() =>
            LiveCommands.DaemonCommand(target.From(parse), parse.GetValue(name)!, "restart", "restarted", ct)));
        return command;
    }
}
