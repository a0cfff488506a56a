using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Integration;

/// <summary>A daemon's log is rotated while it runs (copy, then truncate in place), and the daemon writes on.</summary>
public sealed class LogRotationSpecs : RealTimeSpecs
{
    [Fact]
    public async Task The_log_of_a_running_daemon_is_rotated_past_LogMaxBytes_keeping_LogKeep_copies_while_the_daemon_writes_on()
    {
        const long maxBytes = 2000;
        var supervisor = NewSupervisor(c => c with { LogMaxBytes = maxBytes, LogKeep = 2, HealthInterval = TimeSpan.FromMilliseconds(100) });
        // About 10 kB a second each: past the limit every 200 ms. One is checked on its health ticks, the other
        // (no health check) on a log tick of its own.
        var web = await supervisor.StartAsync(Project.HttpDaemon("web", "--log-every", "10ms"));
        var worker = await supervisor.StartAsync(Project.Daemon("worker", "--log-every", "10ms"));

        foreach (var daemon in new[] { web, worker })
        {
            var log = daemon.LogPath!;
            // A second copy means two rotations, both while the process ran.
            await Until(() => File.Exists($"{log}.2"), $"{daemon.Name}: no {log}.2");
            var now = (await supervisor.GetDaemonAsync(daemon.Name))!;
            Assert.Equal((daemon.Pid, 0), (now.Pid, now.Restarts));
            Assert.False(File.Exists($"{log}.3"), $"{daemon.Name}: more than LogKeep copies");
            Assert.True(new FileInfo($"{log}.2").Length > maxBytes, $"{daemon.Name}: rotated before it passed the limit");
            Assert.Contains("tick ", File.ReadAllText($"{log}.2"));
        }

        await supervisor.StopAllAsync();
        foreach (var daemon in new[] { web, worker })
        {
            // Its last words went to the file it had open all along, truncated in place and written on from the start.
            var log = File.ReadAllText(daemon.LogPath!);
            Assert.Contains("testdaemon: SIGTERM, exiting", log);
            Assert.True(log.Length < 20 * maxBytes, $"{daemon.Name}: the live log holds {log.Length} bytes");
            Project.Signals.AssertStoppedGracefully(daemon.Pid, daemon.Name);
        }
    }
}
