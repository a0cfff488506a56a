using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;

namespace ActorSupervisor.Tests.Lifecycle;

/// <summary>What follows a run that ended on its own, and the backoff before the next, as pure functions.</summary>
public sealed class RestartRulesSpecs
{
    [Theory]
    [InlineData(0, RestartPolicy.Always, "Restart")]      // NTM: a daemon is meant to keep running
    [InlineData(0, RestartPolicy.OnFailure, "Complete")]
    [InlineData(0, RestartPolicy.Never, "Complete")]
    [InlineData(1, RestartPolicy.Always, "Restart")]
    [InlineData(1, RestartPolicy.OnFailure, "Restart")]
    [InlineData(1, RestartPolicy.Never, "GiveUp")]
    [InlineData(null, RestartPolicy.OnFailure, "Restart")] // killed by a signal: no exit code
    [InlineData(null, RestartPolicy.Never, "GiveUp")]
    public void An_exit_completes_a_one_shot_task_only_with_code_0_and_is_a_failure_otherwise(int? code, RestartPolicy policy, string verdict)
    {
        Assert.Equal(Enum.Parse<RunVerdict>(verdict), RestartRules.AfterExit(code, policy, failuresBefore: 0, maxRestarts: 5));
    }

    [Theory]
    [InlineData(RestartPolicy.Always)]
    [InlineData(RestartPolicy.OnFailure)]
    public void A_failing_exit_after_MaxRestarts_failures_in_a_row_gives_up(RestartPolicy policy)
    {
        Assert.Equal(RunVerdict.Restart, RestartRules.AfterExit(1, policy, failuresBefore: 4, maxRestarts: 5));
        Assert.Equal(RunVerdict.GiveUp, RestartRules.AfterExit(1, policy, failuresBefore: 5, maxRestarts: 5));
        Assert.Equal(RunVerdict.GiveUp, RestartRules.AfterExit(0, RestartPolicy.Always, failuresBefore: 5, maxRestarts: 5));
    }

    [Fact]
    public void With_restart_never_nothing_is_retried_whatever_the_count()
    {
        Assert.Equal(RunVerdict.GiveUp, RestartRules.AfterFailure(0, 5, cannotLaunch: false, everLaunched: true, RestartPolicy.Never));
        Assert.Equal(RunVerdict.Restart, RestartRules.AfterFailure(0, 5, cannotLaunch: false, everLaunched: true, RestartPolicy.OnFailure));
    }

    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(1, 2_000)]
    [InlineData(2, 4_000)]
    [InlineData(5, 32_000)]
    [InlineData(6, 60_000)]
    [InlineData(29, 60_000)]
    [InlineData(30, 60_000)]
    [InlineData(1000, 60_000)]
    public void The_backoff_doubles_from_the_minimum_up_to_the_maximum(int failuresBefore, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds),
            RestartRules.BackoffDelay(failuresBefore, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void A_backoff_past_thirty_doublings_is_the_maximum_even_when_the_maximum_is_huge()
    {
        var max = TimeSpan.FromDays(10_000);
        Assert.Equal(TimeSpan.FromTicks(TimeSpan.FromMilliseconds(1).Ticks << 29), RestartRules.BackoffDelay(29, TimeSpan.FromMilliseconds(1), max));
        Assert.Equal(max, RestartRules.BackoffDelay(30, TimeSpan.FromMilliseconds(1), max));
    }
}
