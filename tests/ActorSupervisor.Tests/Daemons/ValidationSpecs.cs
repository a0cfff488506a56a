using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

public class ValidationSpecs
{
    private static readonly DaemonSpec Good = new() { Name = "web", Command = "/bin/true" };

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-flag")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("x;rm")]
    [InlineData("ünïcode")]
    public void Unsafe_names_are_refused_with_the_field_and_the_value(string name)
    {
        var problems = Validation.Problems(Good with { Name = name });
        var problem = Assert.Single(problems);
        Assert.Equal("name", problem.Field);
        Assert.Equal(name, problem.Value);
    }

    [Fact]
    public void A_name_of_64_characters_is_fine_and_65_is_not()
    {
        Assert.Empty(Validation.Problems(Good with { Name = new string('a', 64) }));
        Assert.NotEmpty(Validation.Problems(Good with { Name = new string('a', 65) }));
        Assert.Empty(Validation.Problems(Good with { Name = "a.b_c-9" }));
    }

    [Fact]
    public void Every_problem_of_a_spec_is_reported_at_once()
    {
        var bad = new DaemonSpec
        {
            Name = "ok",
            Command = "",
            DefaultPort = 70000,
            HealthUrl = "http://example.com/health",
            HealthCmd = [],
            Env = ["NOEQUALS", "1BAD=x", "GOOD=1"],
            WorkDir = "/does/not/exist",
        };
        var fields = Validation.Problems(bad).Select(p => p.Field).ToList();
        Assert.Equal(["command", "default_port", "health_url", "health_cmd", "env[0]", "env[1]", "work_dir"], fields);
        var e = Assert.Throws<InvalidSpecException>(() => Validation.EnsureValid(bad));
        Assert.Contains("default_port", e.Message);
        Assert.Contains("70000", e.Message);
        Assert.Contains("example.com", e.Message);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("http://127.0.0.1:8200/health")]
    [InlineData("http://localhost:8200/health")]
    [InlineData("http://[::1]:8200/health")]
    [InlineData("https://127.0.0.1/health")]
    public void Health_urls_on_loopback_or_as_paths_are_accepted(string url)
    {
        Assert.Empty(Validation.Problems(Good with { HealthUrl = url, NeedsPort = true }));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("http://10.0.0.1/health")]
    [InlineData("health")]
    public void Other_health_urls_are_refused(string url)
    {
        Assert.Equal("health_url", Assert.Single(Validation.Problems(Good with { HealthUrl = url, NeedsPort = true })).Field);
    }

    [Fact]
    public void A_health_path_without_any_port_is_refused()
    {
        Assert.Equal("health_url", Assert.Single(Validation.Problems(Good with { HealthUrl = "/health" })).Field);
    }

    [Fact]
    public void Duplicate_names_in_a_list_are_refused_naming_both_entries()
    {
        var e = Assert.Throws<InvalidSpecException>(() => Validation.EnsureValid([Good, Good with { Command = "/bin/false" }], "specs.json"));
        Assert.Contains("[1].name", e.Message);
        Assert.Contains("[0]", e.Message);
    }

    [Fact]
    public void A_config_needs_a_session_and_an_existing_project_dir_and_no_negative_durations()
    {
        var problems = Validation.Problems(new SupervisorConfig
        {
            SessionId = "a/b",
            ProjectDir = "/no/such/dir",
            HealthInterval = TimeSpan.FromSeconds(-1),
            MaxRestarts = -2, // NTM upstream's "never restart", not a mistake
        });
        Assert.Equal(["SessionId", "ProjectDir", "HealthInterval"], problems.Select(p => p.Field));
        Assert.Equal(["SessionId", "ProjectDir"], Validation.Problems(new SupervisorConfig()).Select(p => p.Field));
    }

    [Fact]
    public void A_negative_MaxRestarts_means_no_restart_as_in_NTM_upstream()
    {
        var config = new SupervisorConfig { SessionId = "s", ProjectDir = "/tmp", MaxRestarts = -1 }.WithDefaults();
        Assert.Equal(-1, config.MaxRestarts);
        Assert.Equal(0, ActorSupervisor.Lifecycle.DaemonSettings.For(new DaemonSpec { Name = "d", Command = "d" }, config).MaxRestarts);
        Assert.Equal(5, new SupervisorConfig { SessionId = "s", ProjectDir = "/tmp" }.WithDefaults().MaxRestarts);
    }
}
