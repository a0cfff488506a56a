using System.Text;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ActorSupervisor.Tests.Hosting;

/// <summary>Settings and daemons from appsettings.json and the environment, validated when the host starts.</summary>
public sealed class OptionsSpecs : IDisposable
{
    private readonly TestProject _project = new();

    private static IConfiguration Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public async Task A_generic_host_runs_the_daemons_of_its_appsettings_with_NTMs_names_and_written_durations()
    {
        var json = $$"""
            {
              "ActorSupervisor": {
                "session_id": "{{_project.SessionId}}",
                "project_dir": "{{_project.Dir}}",
                "health_interval": "300ms",
                "MaxRestarts": 0,
                "stop-grace": "2s",
                "daemons": [
                  { "name": "api", "command": "{{TestDaemon.Path}}", "port_flag": "--port", "needs_port": true,
                    "health_url": "/health", "env": ["{{TestProject.TagVariable}}={{_project.Tag}}"] },
                  { "Name": "worker", "Command": "{{TestDaemon.Path}}", "DependsOn": { "api": "healthy" },
                    "Env": ["{{TestProject.TagVariable}}={{_project.Tag}}"] }
                ]
              }
            }
            """;
        // The content root is the test's own dir: no appsettings.json lying in the test's working dir is read.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _project.Dir });
        builder.Configuration.AddConfiguration(Json(json));
        builder.Services.AddDaemonSupervisor(builder.Configuration.GetSection(SupervisorOptions.SectionName));
        using var host = builder.Build();
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<SupervisorOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(300), options.HealthInterval);
        Assert.Equal(0, options.MaxRestarts);
        var supervisor = host.Services.GetRequiredService<Supervisor>();
        var worker = await supervisor.WaitUntilRunningAsync("worker", TimeSpan.FromSeconds(30));
        var api = (await supervisor.GetDaemonAsync("api"))!;
        Assert.Equal(DaemonState.Running, api.State);
        Assert.True(worker.StartedAt > api.StartedAt); // it waited for api (DependsOn, read from PascalCase keys)
        Assert.Equal(TimeSpan.FromMilliseconds(300), supervisor.Config.HealthInterval);

        await host.StopAsync();
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Bad_options_fail_the_hosts_start_naming_each_key_and_value_and_launch_nothing()
    {
        var json = $$"""
            {
              "ActorSupervisor": {
                "session_id": "{{_project.SessionId}}",
                "project_dir": "{{_project.Dir}}",
                "health_interval": "5 seconds",
                "max_restart": 3,
                "daemons": [ { "name": "web", "command": "{{TestDaemon.Path}}", "helth_url": "/health", "default_port": "high" } ]
              }
            }
            """;
        // The content root is the test's own dir: no appsettings.json lying in the test's working dir is read.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _project.Dir });
        builder.Configuration.AddConfiguration(Json(json));
        builder.Services.AddDaemonSupervisor(builder.Configuration.GetSection(SupervisorOptions.SectionName));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var all = string.Join("\n", e.Failures);
        Assert.Contains("ActorSupervisor:health_interval", all);
        Assert.Contains("5 seconds", all);
        Assert.Contains("ActorSupervisor:max_restart", all);
        Assert.Contains("did you mean 'max-restarts'", all);
        Assert.Contains("helth_url", all);
        Assert.Contains("health_url", all);
        Assert.Contains("default_port", all);
        Assert.DoesNotMatch(@"System\.|Exception", all);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public void Environment_variables_override_appsettings_as_usual()
    {
        var config = new ConfigurationBuilder()
            .AddConfiguration(Json("""{ "ActorSupervisor": { "session_id": "s", "project_dir": "/tmp", "max_restarts": 3 } }"""))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ActorSupervisor:MAX_RESTARTS"] = "7" })
            .Build();
        var options = SupervisorOptions.FromConfiguration(config.GetSection("ActorSupervisor"));
        Assert.Equal(7, options.MaxRestarts);
        Assert.Equal(-1, new SupervisorOptions { MaxRestarts = 0 }.ToConfig().MaxRestarts); // 0 here is "no restart"
    }

    public void Dispose() => _project.Dispose();
}
