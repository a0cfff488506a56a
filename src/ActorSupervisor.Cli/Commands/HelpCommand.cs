using System.CommandLine;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`help [COMMAND]`: the same text as `COMMAND --help`, for people who type it the other way round.</summary>
internal static class HelpCommand
{
    public static Command Create(Func<Command> root)
    {
        var words = new Argument<string[]>("COMMAND") { Description = "The command to describe.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "Show help for the tool or one of its commands.") { words };
        command.SetAction((parse, ct) => root().Parse([.. parse.GetValue(words) ?? [], "--help"]).InvokeAsync(cancellationToken: ct));
        return command;
    }
}
