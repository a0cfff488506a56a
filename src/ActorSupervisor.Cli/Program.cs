using System.CommandLine;
using System.CommandLine.Help;
using ActorSupervisor.Cli.Commands;

namespace ActorSupervisor.Cli;

/// <summary>
/// actorsupervisor: up (run daemons in the foreground), status and stop (from PID files). Flags, output formats and
/// exit codes are a contract with outside tools (design section 7; docs/cli.md).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // A plain Command rather than RootCommand, which would name itself after the assembly (ActorSupervisor.Cli)
        // in help and errors instead of after the command people type.
        Command root = null!;
        root = new Command("actorsupervisor", "Supervises long-running daemons: starts each on a free port, health-checks it, " +
                                   "restarts it with backoff, and stops everything cleanly.")
        {
            UpCommand.Create(),
            StatusCommand.Create(),
            StartCommand.Create(),
            StopCommand.Create(),
            RestartCommand.Create(),
            LogsCommand.Create(),
            EventsCommand.Create(),
            ReloadCommand.Create(),
            CompletionCommand.Create(),
            HelpCommand.Create(() => root),
            CompletionCommand.Complete(() => root),
            DemoDaemonCommand.Create(),
            new HelpOption(),
            new VersionOption(),
        };
        // No arguments at all: the help, rather than an error about a missing command.
        if (args.Length == 0) args = ["--help"];

        // The CLI starts children only through the library, so as a subreaper it may reap every orphan it inherits.
        Processes.Reaper.ReapEveryOrphan = true;
        var parse = root.Parse(args);
        // System.CommandLine would answer a parse error with exit code 1; the contract says bad arguments are 2.
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"actorsupervisor: {error.Message}");
            Console.Error.WriteLine("See 'actorsupervisor --help'.");
            return ExitCodes.BadInput;
        }

        return await parse.InvokeAsync(new InvocationConfiguration
        {
            // `up` handles SIGINT and SIGTERM itself, and must finish stopping its daemons however long that takes.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        });
    }
}
