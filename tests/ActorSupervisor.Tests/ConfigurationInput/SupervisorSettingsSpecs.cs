using Akka.Configuration;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>How a session's settings are filled: what the config sets wins, then the app's HOCON, then reference.conf.</summary>
public sealed class SupervisorSettingsSpecs
{
    private static Config Hocon(string text) => ConfigurationFactory.ParseString(text);

    [Fact]
    public void The_settings_there_are_are_the_keys_of_reference_conf_in_order()
    {
        Assert.Equal(
        [
            "backoff-jitter", "failure-threshold", "health-interval", "log-keep", "log-max-bytes", "max-restarts",
            "probe-timeout", "restart-backoff-max", "restart-backoff-min", "settle-time", "stable-period", "startup-probe-interval",
            "startup-timeout", "state-dir", "stop-grace",
        ], SupervisorSettings.Keys);
    }

    [Fact]
    public void An_empty_config_takes_every_default_of_reference_conf()
    {
        var c = SupervisorSettings.Apply(new SupervisorConfig(), Config.Empty);
        Assert.Equal(TimeSpan.FromSeconds(5), c.HealthInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), c.StartupProbeInterval);
        Assert.Equal(5, c.MaxRestarts);
        Assert.Equal(TimeSpan.FromSeconds(1), c.RestartBackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(60), c.RestartBackoffMax);
        Assert.Equal(0, c.BackoffJitter);
        Assert.Equal(3, c.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(30), c.StartupTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), c.StablePeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), c.StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(2), c.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), c.SettleTime);
        Assert.Equal(".ntm", c.StateDir);
        Assert.Equal(10_485_760, c.LogMaxBytes);
        Assert.Equal(3, c.LogKeep);
    }

    [Fact]
    public void The_apps_HOCON_wins_over_reference_conf()
    {
        var c = SupervisorSettings.Apply(new SupervisorConfig(), Hocon("""
            actorsupervisor {
              health-interval = 7s, startup-probe-interval = 50ms, max-restarts = 9, restart-backoff-min = 200ms
              restart-backoff-max = 3m, backoff-jitter = 0.5, failure-threshold = 6, startup-timeout = 1m, stable-period = 2m
              stop-grace = 4s, probe-timeout = 750ms, settle-time = 3s, state-dir = "state", log-max-bytes = 4096, log-keep = 1
            }
            """));
        Assert.Equal(TimeSpan.FromSeconds(7), c.HealthInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), c.StartupProbeInterval);
        Assert.Equal(9, c.MaxRestarts);
        Assert.Equal(TimeSpan.FromMilliseconds(200), c.RestartBackoffMin);
        Assert.Equal(TimeSpan.FromMinutes(3), c.RestartBackoffMax);
        Assert.Equal(0.5, c.BackoffJitter);
        Assert.Equal(6, c.FailureThreshold);
        Assert.Equal(TimeSpan.FromMinutes(1), c.StartupTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), c.StablePeriod);
        Assert.Equal(TimeSpan.FromSeconds(4), c.StopGrace);
        Assert.Equal(TimeSpan.FromMilliseconds(750), c.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), c.SettleTime);
        Assert.Equal("state", c.StateDir);
        Assert.Equal(4096, c.LogMaxBytes);
        Assert.Equal(1, c.LogKeep);
    }

    [Fact]
    public void What_the_config_sets_wins_over_any_HOCON()
    {
        var set = new SupervisorConfig
        {
            HealthInterval = TimeSpan.FromSeconds(1), StartupProbeInterval = TimeSpan.FromSeconds(2), MaxRestarts = -1,
            RestartBackoffMin = TimeSpan.FromSeconds(3), RestartBackoffMax = TimeSpan.FromSeconds(4), BackoffJitter = 0.1,
            FailureThreshold = 2, StartupTimeout = TimeSpan.FromSeconds(5), StablePeriod = TimeSpan.FromSeconds(6),
            StopGrace = TimeSpan.FromSeconds(7), ProbeTimeout = TimeSpan.FromSeconds(8), SettleTime = TimeSpan.FromSeconds(9),
            StateDir = "mine", LogMaxBytes = 1, LogKeep = 2,
        };
        var hocon = Hocon("""
            actorsupervisor {
              health-interval = 70s, startup-probe-interval = 70s, max-restarts = 70, restart-backoff-min = 70s
              restart-backoff-max = 70s, backoff-jitter = 0.7, failure-threshold = 70, startup-timeout = 70s, stable-period = 70s
              stop-grace = 70s, probe-timeout = 70s, settle-time = 70s, state-dir = "theirs", log-max-bytes = 70, log-keep = 70
            }
            """);
        Assert.Equal(set, SupervisorSettings.Apply(set, hocon));
    }

    [Fact]
    public void Zero_durations_and_a_day_are_accepted()
    {
        var c = SupervisorSettings.Apply(new SupervisorConfig(), Hocon("actorsupervisor { stop-grace = 0ms, startup-timeout = 24h }"));
        Assert.Equal(TimeSpan.Zero, c.StopGrace); // taken as written: the rules on values are Validation's
        Assert.Equal(TimeSpan.FromHours(24), c.StartupTimeout);
    }

    [Fact]
    public void Zero_is_a_number_every_count_accepts()
    {
        var c = SupervisorSettings.Apply(new SupervisorConfig(),
            Hocon("actorsupervisor { max-restarts = 0, failure-threshold = 0, log-max-bytes = 0, log-keep = 0, backoff-jitter = 0 }"));
        Assert.Equal(0, c.MaxRestarts);
        Assert.Equal(0, c.FailureThreshold);
        Assert.Equal(0, c.LogMaxBytes);
        Assert.Equal(0, c.LogKeep);
        Assert.Equal(0, c.BackoffJitter);
    }

    [Fact]
    public void Every_bad_setting_is_named_with_its_value_and_nothing_is_applied()
    {
        var hocon = Hocon("""
            actorsupervisor {
              health-interval = 5 seconds, startup-probe-interval = 25h, max-restarts = -1, restart-backoff-min = fast
              backoff-jitter = -0.5, failure-threshold = many, stop-grace = 10, log-max-bytes = -1, log-keep = 1.5
            }
            """);
        var e = Assert.Throws<InvalidSpecException>(() => SupervisorSettings.Apply(new SupervisorConfig(), hocon));
        Assert.Equal(
        [
            ("actorsupervisor.health-interval", "5 seconds", "must be a duration like 250ms, 5s or 1m, at most 24h"),
            ("actorsupervisor.startup-probe-interval", "25h", "must be a duration like 250ms, 5s or 1m, at most 24h"),
            ("actorsupervisor.max-restarts", "-1", "must be a non-negative number"),
            ("actorsupervisor.restart-backoff-min", "fast", "must be a duration like 250ms, 5s or 1m, at most 24h"),
            ("actorsupervisor.backoff-jitter", "-0.5", "must be a non-negative number"),
            ("actorsupervisor.failure-threshold", "many", "must be a non-negative number"),
            ("actorsupervisor.stop-grace", "10", "must be a duration like 250ms, 5s or 1m, at most 24h"),
            ("actorsupervisor.log-max-bytes", "-1", "must be a non-negative number"),
            ("actorsupervisor.log-keep", "1.5", "must be a non-negative number"),
        ], e.Problems.Select(p => (p.Field, p.Value, p.Problem)));
    }

    [Fact]
    public void A_bad_setting_the_config_already_sets_is_never_read()
    {
        var c = SupervisorSettings.Apply(new SupervisorConfig { StopGrace = TimeSpan.FromSeconds(3), MaxRestarts = 2 },
            Hocon("actorsupervisor { stop-grace = soon, max-restarts = lots }"));
        Assert.Equal(TimeSpan.FromSeconds(3), c.StopGrace);
        Assert.Equal(2, c.MaxRestarts);
    }
}
