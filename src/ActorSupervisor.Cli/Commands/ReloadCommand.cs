using System.CommandLine;
using ActorSupervisor.Cli.Live;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`reload`: the running supervisor reads its spec file again and applies the difference.</summary>
internal static class ReloadCommand
{
    public static Command Create()
    {
        var target = ControlTarget.CreateOptions();
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON (added, removed, restarted, unchanged, failed)." };
        var command = new Command("reload",
            "Make the running supervisor read its spec file again: daemons added to it are started, removed ones are stopped " +
            "and forgotten, changed ones are restarted with their new spec; the rest are left alone.")
        {
            json,
        };
        foreach (var option in target.All) command.Add(option);
        command.SetAction((parse, ct) => Guarded.Run(() => LiveCommands.Reload(target.From(parse), parse.GetValue(json), ct)));
        return command;
    }
}
