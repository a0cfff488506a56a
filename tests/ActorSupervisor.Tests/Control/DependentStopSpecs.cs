using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Control;

/// <summary>`stop NAME` of a dependency: it says which dependents are affected, and stops them only when asked.</summary>
public sealed class DependentStopSpecs : IDisposable
{
    private readonly ControlHarness _h = new();

    [Fact]
    public async Task Stopping_a_dependency_names_its_running_dependents_and_stops_them_only_with_the_flag()
    {
        var p = _h.Project;
        var deps = new Dictionary<string, DependencyCondition> { ["db"] = DependencyCondition.Started };
        var specs = _h.WriteSpecs("specs.json",
            p.Daemon("db"), p.Daemon("web") with { DependsOn = deps }, p.Daemon("cache"),
            p.Daemon("api") with { DependsOn = new Dictionary<string, DependencyCondition> { ["web"] = DependencyCondition.Started } });
        var up = _h.Up(["--specs", specs, .. ControlHarness.Quick]);
        foreach (var name in new[] { "db", "web", "cache", "api" }) await up.WaitForState(name, "running");

        // Without the flag: db alone stops, and the operator is told who depends on it (directly or through web).
        var alone = await _h.Run("stop", "db");
        Assert.True(alone.ExitCode == 0, alone.ToString());
        Assert.Contains("db: still running and depending on it: api, web (stop them too with --with-dependents)", alone.Err);
        var status = await _h.Status();
        Assert.Equal("stopped", status["db"].GetProperty("state").GetString());
        Assert.Equal("running", status["web"].GetProperty("state").GetString());
        Assert.Equal("running", status["api"].GetProperty("state").GetString());

        // With the flag: the dependents first (api, then web), then the daemon; the unrelated cache is untouched.
        var all = await _h.Run("stop", "web", "--with-dependents");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("after its dependents api", all.Out);
        status = await _h.Status();
        Assert.Equal("stopped", status["web"].GetProperty("state").GetString());
        Assert.Equal("stopped", status["api"].GetProperty("state").GetString());
        Assert.Equal("running", status["cache"].GetProperty("state").GetString());
        var order = up.States.Where(s => s.State == "stopped" && s.Daemon is "api" or "web").Select(s => s.Daemon).ToList();
        Assert.Equal(["api", "web"], order);

        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    public void Dispose() => _h.Dispose();
}
