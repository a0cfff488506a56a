using ActorSupervisor.Control;
using ActorSupervisor.Control.Model;
using ActorSupervisor.Control.Transport;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorSupervisor.Tests.Control;

/// <summary>A library host turns the control endpoint on with one call, and the CLI talks to it like to `up`.</summary>
public sealed class LibraryControlSpecs : IDisposable
{
    private readonly TestProject _project = new();

    [Fact]
    public async Task A_facade_with_StartControlAsync_answers_the_CLI_and_removes_its_socket_when_disposed()
    {
        var config = _project.Config();
        await using var supervisor = Supervisor.New(config);
        var worker = await supervisor.StartAsync(_project.Daemon("worker"));
        var socket = ControlSocket.PathFor(supervisor.Config.StateRoot, config.SessionId);
        await using (var control = await supervisor.StartControlAsync())
        {
            Assert.Equal(socket, control.SocketPath);
            Assert.Null(control.HttpUrl);

            var restart = await CliProcess.RunAsync(_project, "restart", "worker", "--project-dir", _project.Dir);
            Assert.True(restart.ExitCode == 0, restart.ToString());
            var after = await supervisor.GetDaemonAsync("worker");
            Assert.NotEqual(worker.Pid, after!.Pid);
            Assert.Equal(1, after.Restarts);

            // Reload was not configured: refused, naming why.
            using var client = new ControlClient(socket, config.SessionId);
            var refused = await Assert.ThrowsAsync<ControlException>(() =>
                client.SendAsync(HttpMethod.Post, "v1/reload", ControlJson.Default.ReloadView, null, CancellationToken.None));
            Assert.Contains("no spec file to reload", refused.Message);
        }
        Assert.False(File.Exists(socket));
        await supervisor.ShutdownAsync();
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_host_with_AddDaemonSupervisorControl_serves_the_endpoint_while_it_runs()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDaemonSupervisor(_project.Config(), [_project.Daemon("worker")]);
        builder.Services.AddDaemonSupervisorControl();
        using var host = builder.Build();
        await host.StartAsync();
        var supervisor = host.Services.GetRequiredService<Supervisor>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await supervisor.GetDaemonAsync("worker") is not { State: DaemonState.Running })
        {
            Assert.True(DateTime.UtcNow < deadline, "worker never ran");
            await Task.Delay(25);
        }

        var status = await CliProcess.RunAsync(_project, "status", "--json", "--project-dir", _project.Dir);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("\"source\": \"supervisor\"", status.Out);
        await host.StopAsync();
        Assert.Empty(Directory.GetFileSystemEntries(ControlSocket.DirFor(supervisor.Config.StateRoot)));
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose() => _project.Dispose();
}
