using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;

namespace ActorSupervisor.Tests.Lifecycle;

/// <summary>Which setting a daemon runs with: its spec's where it sets one, the session's otherwise.</summary>
public sealed class DaemonSettingsSpecs
{
    private static readonly SupervisorConfig Session = new SupervisorConfig
    {
        SessionId = "s",
        ProjectDir = "/tmp/p",
        HealthInterval = TimeSpan.FromSeconds(11),
        StartupProbeInterval = TimeSpan.FromMilliseconds(120),
        StartupTimeout = TimeSpan.FromSeconds(33),
        ProbeTimeout = TimeSpan.FromSeconds(4),
        StopGrace = TimeSpan.FromSeconds(6),
        MaxRestarts = 7,
        RestartBackoffMin = TimeSpan.FromSeconds(2),
        RestartBackoffMax = TimeSpan.FromSeconds(40),
        BackoffJitter = 0.25,
        FailureThreshold = 4,
        StablePeriod = TimeSpan.FromSeconds(50),
        SettleTime = TimeSpan.FromMilliseconds(700),
    }.WithDefaults();

    private static readonly DaemonSpec Bare = new() { Name = "web", Command = "/bin/web" };

    [Fact]
    public void A_spec_that_sets_nothing_runs_with_the_sessions_settings()
    {
        var s = DaemonSettings.For(Bare, Session);
        Assert.Equal(TimeSpan.FromSeconds(11), s.HealthInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(120), s.StartupProbeInterval);
        Assert.Equal(TimeSpan.FromSeconds(33), s.StartupTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), s.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(6), s.StopGrace);
        Assert.Equal(15, s.StopSignal); // SIGTERM
        Assert.Equal(7, s.MaxRestarts);
        Assert.Equal(TimeSpan.FromSeconds(2), s.BackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(40), s.BackoffMax);
        Assert.Equal(0.25, s.BackoffJitter);
        Assert.Equal(4, s.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(50), s.StablePeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(700), s.SettleTime);
        Assert.Equal(RestartPolicy.Always, s.Restart);
        Assert.Equal(UnhealthyAction.Restart, s.OnUnhealthy);
    }

    [Fact]
    public void Whatever_the_spec_sets_wins_over_the_session()
    {
        var spec = Bare with
        {
            HealthInterval = TimeSpan.FromSeconds(1),
            StartupTimeout = TimeSpan.FromSeconds(3),
            HealthTimeout = TimeSpan.FromMilliseconds(500),
            StopGrace = TimeSpan.FromSeconds(9),
            StopSignal = "INT",
            MaxRestarts = 0,
            BackoffMin = TimeSpan.FromMilliseconds(100),
            BackoffMax = TimeSpan.FromSeconds(5),
            Restart = RestartPolicy.OnFailure,
            OnUnhealthy = UnhealthyAction.Mark,
        };
        var s = DaemonSettings.For(spec, Session);
        Assert.Equal(TimeSpan.FromSeconds(1), s.HealthInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), s.StartupTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), s.StopGrace);
        Assert.Equal(2, s.StopSignal); // SIGINT
        Assert.Equal(0, s.MaxRestarts);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.BackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(5), s.BackoffMax);
        Assert.Equal(RestartPolicy.OnFailure, s.Restart);
        Assert.Equal(UnhealthyAction.Mark, s.OnUnhealthy);
        // Only the session sets these.
        Assert.Equal(TimeSpan.FromMilliseconds(120), s.StartupProbeInterval);
        Assert.Equal(0.25, s.BackoffJitter);
        Assert.Equal(4, s.FailureThreshold);
    }

    [Fact]
    public void A_negative_max_restarts_in_the_session_means_none()
    {
        Assert.Equal(0, DaemonSettings.For(Bare, Session with { MaxRestarts = -1 }).MaxRestarts);
        Assert.Equal(3, DaemonSettings.For(Bare with { MaxRestarts = 3 }, Session with { MaxRestarts = -1 }).MaxRestarts);
    }

    [Fact]
    public void A_backoff_minimum_above_the_maximum_raises_the_maximum_to_match()
    {
        // The spec's minimum above the session's maximum.
        var s = DaemonSettings.For(Bare with { BackoffMin = TimeSpan.FromSeconds(90) }, Session);
        Assert.Equal(TimeSpan.FromSeconds(90), s.BackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(90), s.BackoffMax);

        // The spec's maximum below the session's minimum.
        var t = DaemonSettings.For(Bare with { BackoffMax = TimeSpan.FromSeconds(1) }, Session);
        Assert.Equal(TimeSpan.FromSeconds(2), t.BackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(2), t.BackoffMax);

        // Equal is fine as it is.
        var u = DaemonSettings.For(Bare with { BackoffMin = TimeSpan.FromSeconds(3), BackoffMax = TimeSpan.FromSeconds(3) }, Session);
        Assert.Equal(TimeSpan.FromSeconds(3), u.BackoffMax);
    }

    [Theory]
    [InlineData(null, 15)]
    [InlineData("", 15)]
    [InlineData("SIGHUP", 1)]
    [InlineData("hup", 1)]
    [InlineData("SIGQUIT", 3)]
    [InlineData("USR1", 10)]
    [InlineData("sigusr2", 12)]
    [InlineData("WINCH", 28)]
    [InlineData("KILL", 9)]
    public void The_stop_signal_is_the_specs_by_name_with_or_without_SIG_and_SIGTERM_by_default(string? name, int number)
    {
        Assert.Equal(number, DaemonSettings.For(Bare with { StopSignal = name }, Session).StopSignal);
    }
}
