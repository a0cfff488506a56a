using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>How an exit reads in a failure reason: the words a user sees in `status` and the log.</summary>
public sealed class ProcessExitSpecs
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public void An_exit_names_the_signal_that_killed_it_else_its_code_else_says_the_status_is_unknown()
    {
        Assert.Equal("killed by signal 9", new ProcessExit(10, null, 9, At).ToString());
        Assert.Equal("exited with code 3", new ProcessExit(10, 3, null, At).ToString());
        Assert.Equal("exited (status unknown)", new ProcessExit(10, null, null, At).ToString());
    }

    [Fact]
    public void An_exit_that_left_no_detached_process_adds_nothing()
    {
        Assert.Equal("", new ProcessExit(10, 0, null, At).DetachedNote);
        Assert.Equal("exited with code 0", new ProcessExit(10, 0, null, At).ToString());
    }

    [Fact]
    public void One_detached_process_is_named_in_the_singular_with_its_pid()
    {
        var exit = new ProcessExit(10, 0, null, At) { Detached = [4242] };
        Assert.Equal(
            "exited with code 0, leaving 1 detached process (pid 4242), now killed: it daemonized itself; run it in the " +
            "foreground (a daemon is running only while the process we started runs)",
            exit.ToString());
    }

    [Fact]
    public void Several_detached_processes_are_counted_in_the_plural_with_their_pids_comma_separated()
    {
        var exit = new ProcessExit(10, null, 15, At) { Detached = [41, 42, 43] };
        Assert.StartsWith("killed by signal 15, leaving 3 detached processes (pid 41, 42, 43), now killed: it daemonized itself",
            exit.ToString());
    }
}
