using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Chaos;

/// <summary>What happens to daemons when their supervisor process is killed with SIGKILL.</summary>
public sealed class LifetimeSpecs : IDisposable
{
    private readonly TestProject _project = new("life");
    private readonly List<UpProcess> _supervisors = [];

    private UpProcess Up(string specs)
    {
        var up = UpProcess.Start("--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _supervisors.Add(up);
        return up;
    }

    private async Task<Dictionary<string, int>> WaitForPidFiles(params string[] names)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var files = _project.Store.List().Where(e => e.Info.IsAlive).ToDictionary(e => e.Name, e => e.Info.Pid);
            if (names.All(files.ContainsKey) && files[names[0]] > 0 && (files.Count >= names.Length)) return files;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("daemons never started: " + string.Join(",", files.Keys));
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_persistent_daemon_outlives_a_killed_supervisor_and_is_adopted_while_an_ephemeral_one_dies_with_it()
    {
        var specs = Path.Combine(_project.Dir, "specs.json");
        await File.WriteAllTextAsync(specs, JsonSerializer.Serialize(new[]
        {
            _project.HttpDaemon("keeper"),
            _project.Daemon("helper") with { Lifetime = DaemonLifetime.Ephemeral },
        }));

        var first = Up(specs);
        var before = await WaitForPidFiles("keeper", "helper");
        first.Signal(Native.SIGKILL);
        await first.WaitForExit(TimeSpan.FromSeconds(30));

        // The ephemeral daemon got its parent-death signal; the persistent one runs on, untouched.
        await DaemonProcessSpecsWait(() => !ProcessScan.IsAlive(before["helper"]));
        Assert.True(ProcessScan.IsAlive(before["keeper"]));

        var second = Up(specs);
        var after = await WaitForPidFiles("keeper", "helper");
        Assert.Equal(before["keeper"], after["keeper"]); // adopted, not started twice
        Assert.NotEqual(before["helper"], after["helper"]); // started fresh
        Assert.Equal(2, _project.LiveProcesses().Count);

        second.Signal(Native.SIGTERM);
        Assert.Equal(0, await second.WaitForExit(TimeSpan.FromSeconds(60)));
        await _project.AssertNothingLeftBehind();
    }

    private static Task DaemonProcessSpecsWait(Func<bool> condition) => Processes.DaemonProcessSpecs.WaitFor(condition);

    public void Dispose()
    {
        foreach (var up in _supervisors) up.Dispose();
        _project.Dispose();
    }
}
