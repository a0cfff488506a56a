using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using ActorSupervisor.Control.Transport;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// Shell completion: `completion bash|zsh|fish` prints a script that asks the tool itself (the hidden `__complete`
/// command) for the completions of the words typed so far, so they always match this version's commands and flags,
/// and daemon names come from the running supervisors.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # actorsupervisor completion for bash: source this file, or put it in /etc/bash_completion.d/
        _actorsupervisor() {
          local IFS=$'\n'
          COMPREPLY=($(actorsupervisor __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
        }
        complete -o default -F _actorsupervisor actorsupervisor
        """;

    private const string Zsh = """
        #compdef actorsupervisor
        # actorsupervisor completion for zsh: put this file on $fpath as _actorsupervisor, or source it
        _actorsupervisor() {
          local -a completions
          completions=("${(@f)$(actorsupervisor __complete -- "${(@)words[2,$CURRENT]}" 2>/dev/null)}")
          compadd -a completions
        }
        if [ "$funcstack[1]" = "_actorsupervisor" ]; then _actorsupervisor "$@"; else compdef _actorsupervisor actorsupervisor; fi
        """;

    private const string Fish = """
        # actorsupervisor completion for fish: save as ~/.config/fish/completions/actorsupervisor.fish
        complete -c actorsupervisor -f -a '(actorsupervisor __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
        """;

    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (bash, zsh or fish).") { shell };
        command.SetAction(parse =>
        {
            Console.Out.WriteLine(parse.GetValue(shell) switch { "bash" => Bash, "zsh" => Zsh, _ => Fish });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The hidden command the scripts call: the words typed so far, the last one (maybe empty) being completed.</summary>
    public static Command Complete(Func<Command> root)
    {
        var words = new Argument<string[]>("WORDS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("__complete") { words };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var typed = parse.GetValue(words) ?? [];
            if (typed.Length == 0) typed = [""];
            // System.CommandLine also offers words that merely contain what was typed; shells want the prefix.
            var word = typed[^1];
            foreach (var item in root().Parse(typed).GetCompletions().Select(c => c.Label).Distinct()
                         .Where(l => l.StartsWith(word, StringComparison.Ordinal)))
                Console.Out.WriteLine(item);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Daemon names for a NAME argument: those the running supervisors of the project (--project-dir, else here) know.</summary>
    public static IEnumerable<CompletionItem> DaemonNames(CompletionContext context)
    {
        try
        {
            var project = context.ParseResult.CommandResult.Children.OfType<OptionResult>()
                .FirstOrDefault(o => o.Option.Name == "--project-dir")?.Tokens.LastOrDefault()?.Value ?? Directory.GetCurrentDirectory();
            var stateRoot = new SupervisorConfig { ProjectDir = project }.WithDefaults().StateRoot;
            var live = ControlClient.DiscoverAsync(stateRoot, null).GetAwaiter().GetResult();
            var names = live.SelectMany(l => l.Status.Daemons.Select(d => d.Name)).Distinct().Order(StringComparer.Ordinal).ToList();
            foreach (var l in live) l.Client.Dispose();
            var prefix = context.WordToComplete;
            return names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => new CompletionItem(n));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [];
        }
    }
}
