using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Cli;

/// <summary>Help with no arguments or as a command, and shell completion from the tool itself.</summary>
public sealed class HelpAndCompletionSpecs : IDisposable
{
    private readonly TestProject _project = new();

    [Fact]
    public async Task No_arguments_and_help_print_the_help_with_every_command_and_exit_0()
    {
        var bare = await CliProcess.RunAsync(_project);
        var help = await CliProcess.RunAsync(_project, "help");
        var helpStatus = await CliProcess.RunAsync(_project, "help", "status");
        var statusHelp = await CliProcess.RunAsync(_project, "status", "--help");

        foreach (var result in new[] { bare, help })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            foreach (var command in new[] { "up", "status", "start", "stop", "restart", "logs", "events", "reload", "completion", "help" })
                Assert.Contains(result.Stdout, l => l.TrimStart().StartsWith(command + " ", StringComparison.Ordinal) || l.Trim() == command);
            Assert.DoesNotContain("__complete", result.Out);
        }
        Assert.Equal(0, helpStatus.ExitCode);
        Assert.Equal(statusHelp.Out, helpStatus.Out);
        Assert.Contains("--session", helpStatus.Out);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _actorsupervisor actorsupervisor")]
    [InlineData("zsh", "#compdef actorsupervisor")]
    [InlineData("fish", "complete -c actorsupervisor")]
    public async Task Completion_prints_a_script_for_each_shell_that_asks_the_tool(string shell, string expected)
    {
        var script = await CliProcess.RunAsync(_project, "completion", shell);

        Assert.True(script.ExitCode == 0, script.ToString());
        Assert.Contains(expected, script.Out);
        Assert.Contains("actorsupervisor __complete", script.Out);
    }

    [Fact]
    public async Task The_completions_are_the_commands_and_flags_that_match_what_was_typed()
    {
        var commands = await CliProcess.RunAsync(_project, "__complete", "--", "st");
        var flags = await CliProcess.RunAsync(_project, "__complete", "--", "logs", "--f");
        var bad = await CliProcess.RunAsync(_project, "completion", "powershell");

        Assert.Equal(["start", "status", "stop"], commands.Stdout.Order().ToArray());
        Assert.Contains("--follow", flags.Stdout);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("powershell", bad.Err);
    }

    public void Dispose() => _project.Dispose();
}
