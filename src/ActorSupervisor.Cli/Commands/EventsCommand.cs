using System.CommandLine;
using ActorSupervisor.Cli.Live;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`events [--json]`: every daemon's state now, then each state change as it happens.</summary>
internal static class EventsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json")
        {
            Description = "One JSON object a line ({\"type\": \"snapshot\"|\"state\", \"at\", \"previous\", \"daemon\": {...}}) " +
                          "instead of up's key=value lines.",
        };
        var target = ControlTarget.CreateOptions();
        var command = new Command("events",
            "Stream the daemons' state changes from the running supervisor(s): first every daemon as it is, then each change, until " +
            "Ctrl+C or the supervisor stops.")
        {
            json,
        };
        foreach (var option in target.All) command.Add(option);
        command.SetAction((parse, ct) => Guarded.Run(() => EventStream.Follow(target.From(parse), parse.GetValue(json), ct)));
        return command;
    }
}
