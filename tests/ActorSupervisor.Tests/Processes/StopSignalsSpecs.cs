using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>A spec's stop_signal, by name as people write it, to the Linux number kill(2) takes.</summary>
public sealed class StopSignalsSpecs
{
    [Theory]
    [InlineData("SIGHUP", 1)]
    [InlineData("SIGINT", 2)]
    [InlineData("SIGQUIT", 3)]
    [InlineData("SIGKILL", 9)]
    [InlineData("SIGUSR1", 10)]
    [InlineData("SIGUSR2", 12)]
    [InlineData("SIGTERM", 15)]
    [InlineData("SIGWINCH", 28)]
    [InlineData("INT", 2)]
    [InlineData("sigint", 2)]
    [InlineData("SigUsr1", 10)]
    [InlineData("term", 15)]
    public void A_name_with_or_without_SIG_in_any_case_gives_its_number(string name, int number) =>
        Assert.Equal(number, StopSignals.Parse(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_name_means_SIGTERM(string? name) => Assert.Equal(15, StopSignals.Parse(name));

    [Theory]
    [InlineData("SIGSTOP")]   // a real signal, but one that stops nothing
    [InlineData("15")]
    [InlineData("SIG")]
    [InlineData("SIGSIGTERM")]
    [InlineData(" SIGTERM")]
    public void Anything_else_is_not_a_stop_signal(string name) => Assert.Null(StopSignals.Parse(name));

    [Fact]
    public void The_accepted_names_are_listed_for_messages_each_with_its_SIG_prefix()
    {
        Assert.Equal(["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGWINCH"], StopSignals.Names);
    }
}
