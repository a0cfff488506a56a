using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using Microsoft.Extensions.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>
/// Settings and daemons from IConfiguration (appsettings, environment variables) in-process: every key in every
/// spelling, every value refused with its key, daemons read by the spec file's reader.
/// </summary>
public sealed class ConfigurationReaderSpecs
{
    private static IConfigurationSection Section(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("ActorSupervisor:" + v.Key, v.Value)))
            .Build().GetSection("ActorSupervisor");

    private static SupervisorOptions Read(params (string, string?)[] values) => SupervisorOptions.FromConfiguration(Section(values));

    private static InvalidSpecException Refused(params (string, string?)[] values) =>
        Assert.Throws<InvalidSpecException>(() => Read(values));

    [Fact]
    public void Every_setting_is_read_in_HOCONs_NTMs_and_dotNETs_spelling()
    {
        var o = Read(
            ("session-id", "s1"), ("project_dir", "/tmp/p"), ("StateDir", "state"), ("HEALTH_INTERVAL", "7s"),
            ("startupProbeInterval", "50ms"), ("restart_backoff_min", "200ms"), ("RestartBackoffMax", "3m"),
            ("startup-timeout", "1m"), ("stable_period", "2m"), ("StopGrace", "4s"), ("probe-timeout", "750ms"),
            ("settle_time", "3s"), ("MaxRestarts", "9"), ("failure-threshold", "6"), ("log_keep", "1"),
            ("LogMaxBytes", "4096"), ("backoff-jitter", "0.5"));
        Assert.Equal("s1", o.SessionId);
        Assert.Equal("/tmp/p", o.ProjectDir);
        Assert.Equal("state", o.StateDir);
        Assert.Equal(TimeSpan.FromSeconds(7), o.HealthInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), o.StartupProbeInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(200), o.RestartBackoffMin);
        Assert.Equal(TimeSpan.FromMinutes(3), o.RestartBackoffMax);
        Assert.Equal(TimeSpan.FromMinutes(1), o.StartupTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), o.StablePeriod);
        Assert.Equal(TimeSpan.FromSeconds(4), o.StopGrace);
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.ProbeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.SettleTime);
        Assert.Equal(9, o.MaxRestarts);
        Assert.Equal(6, o.FailureThreshold);
        Assert.Equal(1, o.LogKeep);
        Assert.Equal(4096, o.LogMaxBytes);
        Assert.Equal(0.5, o.BackoffJitter);
        Assert.Empty(o.Daemons);
    }

    [Fact]
    public void Nothing_set_leaves_every_setting_to_the_defaults()
    {
        var o = Read();
        Assert.Null(o.SessionId);
        Assert.Null(o.HealthInterval);
        Assert.Null(o.MaxRestarts);
        Assert.Empty(o.Daemons);
    }

    [Theory]
    [InlineData("health_interval", "5 seconds", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("startup_probe_interval", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("restart_backoff_min", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("restart_backoff_max", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("startup_timeout", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("stable_period", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("stop_grace", "10", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("probe_timeout", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("settle_time", "x", "must be a duration like 250ms, 5s or 1m")]
    [InlineData("max_restarts", "five", "must be a whole number")]
    [InlineData("max_restarts", "1.5", "must be a whole number")]
    [InlineData("failure_threshold", "x", "must be a whole number")]
    [InlineData("log_keep", "x", "must be a whole number")]
    [InlineData("log_max_bytes", "10MB", "must be a whole number of bytes")]
    [InlineData("backoff_jitter", "half", "must be a number from 0 to 1")]
    public void A_value_that_cannot_be_read_is_refused_naming_the_key_as_written_and_the_value(string key, string value, string problem)
    {
        var e = Refused((key, value));
        var p = Assert.Single(e.Problems);
        Assert.Equal(("ActorSupervisor:" + key, value, problem), (p.Field, p.Value, p.Problem));
        Assert.Contains("Configuration section 'ActorSupervisor'", e.Message);
    }

    [Fact]
    public void Numbers_may_carry_a_sign_and_whitespace_as_configuration_writes_them()
    {
        var o = Read(("max_restarts", " -1 "), ("backoff_jitter", "1e-1"));
        Assert.Equal(-1, o.MaxRestarts); // refused later by Problems(), with its own message
        Assert.Equal(0.1, o.BackoffJitter);
        Assert.Contains(o.Problems(), p => p is { Field: "MaxRestarts", Value: "-1", Problem: "must not be negative (0 means no restart)" });
    }

    [Fact]
    public void An_unknown_key_is_refused_with_a_suggestion_or_the_keys_there_are()
    {
        var e = Refused(("helth_interval", "5s"), ("colour", "blue"));
        Assert.Equal(2, e.Problems.Count);
        var typo = e.Problems.Single(p => p.Field == "ActorSupervisor:helth_interval");
        Assert.Equal("is not a supervisor setting; did you mean 'health-interval'?", typo.Problem);
        Assert.Null(typo.Value);
        var unknown = e.Problems.Single(p => p.Field == "ActorSupervisor:colour");
        Assert.StartsWith("is not a supervisor setting; known keys: backoff-jitter, ", unknown.Problem);
        Assert.EndsWith(", session-id, project-dir, daemons", unknown.Problem);
    }

    [Fact]
    public void A_setting_given_as_a_section_is_refused()
    {
        var e = Refused(("stop_grace:value", "5s"));
        var p = Assert.Single(e.Problems);
        Assert.Equal(("ActorSupervisor:stop_grace", (string?)null, "must be a single value, not a section"), (p.Field, p.Value, p.Problem));
    }

    [Fact]
    public void Daemons_are_read_in_list_order_with_their_fields_in_any_spelling_and_dependency_names_as_written()
    {
        var o = Read(
            ("daemons:1:Name", "worker"), ("daemons:1:Command", "/bin/worker"), ("daemons:1:DependsOn:Api-V2", "healthy"),
            ("daemons:1:Args:0", "--a"), ("daemons:1:Args:1", "--b"), ("daemons:1:max-restarts", "3"),
            ("daemons:0:name", "Api-V2"), ("daemons:0:command", "/bin/api"), ("daemons:0:port-flag", "--port"),
            ("daemons:0:HealthUrl", "/health"), ("daemons:0:stop_grace", "3s"), ("daemons:0:needs_port", "true"),
            ("daemons:2:name", "x10"), ("daemons:2:command", "/bin/x"), ("daemons:10:name", "x11"), ("daemons:10:command", "/bin/x"));

        Assert.Equal(["Api-V2", "worker", "x10", "x11"], o.Daemons.Select(d => d.Name));
        var api = o.Daemons[0];
        Assert.Equal("/bin/api", api.Command);
        Assert.Equal("--port", api.PortFlag);
        Assert.Equal("/health", api.HealthUrl);
        Assert.Equal(TimeSpan.FromSeconds(3), api.StopGrace);
        Assert.True(api.NeedsPort);
        var worker = o.Daemons[1];
        Assert.Equal(["--a", "--b"], worker.Args);
        Assert.Equal(3, worker.MaxRestarts);
        Assert.Equal(DependencyCondition.Healthy, Assert.Single(worker.DependsOn, d => d.Key == "Api-V2").Value);
    }

    [Fact]
    public void A_bad_daemon_field_is_refused_naming_its_path_in_the_section()
    {
        var e = Refused(("daemons:0:name", "api"), ("daemons:0:command", "/bin/api"), ("daemons:0:stop_grace", "soon"));
        var p = Assert.Single(e.Problems);
        Assert.Contains("daemons", p.Field);
        Assert.Contains("stop_grace", p.Field);
        Assert.Equal("soon", p.Value);
    }
}
