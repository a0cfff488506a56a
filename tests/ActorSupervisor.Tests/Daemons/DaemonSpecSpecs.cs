using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

public class DaemonSpecSpecs
{
    [Fact]
    public void The_port_flag_and_port_are_appended_to_the_args_as_two_elements()
    {
        var spec = new DaemonSpec { Name = "am", Command = "am", Args = ["serve-http"], PortFlag = "--port" };
        Assert.Equal(["am", "serve-http", "--port", "9123"], spec.Argv(9123));
        Assert.Equal(["am", "serve-http"], spec.Argv(0));
    }

    [Fact]
    public void A_health_url_path_means_loopback_on_the_allocated_port()
    {
        var spec = new DaemonSpec { Name = "x", Command = "x", HealthUrl = "/health", NeedsPort = true };
        Assert.Equal(new Uri("http://127.0.0.1:4321/health"), spec.ResolveHealthUrl(4321));
    }

    [Fact]
    public void An_absolute_health_url_on_the_default_port_follows_the_daemon_to_its_allocated_port()
    {
        var spec = DefaultSpecs.All(includeAgentMail: true).Single(s => s.Name == "am");
        Assert.Equal(new Uri("http://127.0.0.1:8765/health/liveness"), spec.ResolveHealthUrl(8765));
        Assert.Equal(new Uri("http://127.0.0.1:40001/health/liveness"), spec.ResolveHealthUrl(40001));
        var elsewhere = spec with { HealthUrl = "http://127.0.0.1:9999/up" };
        Assert.Equal(new Uri("http://127.0.0.1:9999/up"), elsewhere.ResolveHealthUrl(40001));
    }

    [Fact]
    public void Zero_config_fields_take_NTMs_defaults()
    {
        var config = new SupervisorConfig { SessionId = "s", ProjectDir = "/tmp" }.WithDefaults();
        Assert.Equal(TimeSpan.FromSeconds(5), config.HealthInterval);
        Assert.Equal(5, config.MaxRestarts);
        Assert.Equal(TimeSpan.FromSeconds(60), config.RestartBackoffMax);
        Assert.Equal(TimeSpan.FromSeconds(1), config.RestartBackoffMin);
        Assert.Equal(3, config.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(2), config.StopGrace);
        Assert.Equal("/tmp/.ntm", config.StateRoot);
    }
}
