using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// A relative work_dir means "under the project dir", in validation and at launch alike: the supervisor's own current
/// directory, which a spec file's author cannot know, never counts.
/// </summary>
public sealed class WorkDirSpecs : IDisposable
{
    private readonly TestProject _project = new();

    [Fact]
    public void A_relative_work_dir_resolves_under_the_project_dir_and_an_absolute_one_is_kept()
    {
        var spec = new DaemonSpec { Name = "web", Command = "/bin/true", WorkDir = "services/web" };
        Assert.Equal("/srv/app/services/web", spec.ResolveWorkDir("/srv/app"));
        Assert.Equal("/srv/app", (spec with { WorkDir = null }).ResolveWorkDir("/srv/app"));
        Assert.Equal("/srv/app", (spec with { WorkDir = "." }).ResolveWorkDir("/srv/app"));
        Assert.Equal("/opt/x", (spec with { WorkDir = "/opt/x" }).ResolveWorkDir("/srv/app"));
        Assert.Equal("/srv/other", (spec with { WorkDir = "../other" }).ResolveWorkDir("/srv/app"));
    }

    [Fact]
    public void Validation_checks_a_relative_work_dir_under_the_project_dir_not_the_current_dir()
    {
        Directory.CreateDirectory(Path.Combine(_project.Dir, "sub"));
        var spec = new DaemonSpec { Name = "web", Command = "/bin/true", WorkDir = "sub" };
        Assert.Empty(Validation.Problems(spec, "", _project.Dir));

        // Refused naming the path it was looked for at, and saying what a relative path is relative to.
        var problem = Assert.Single(Validation.Problems(spec with { WorkDir = "missing" }, "", _project.Dir));
        Assert.Equal("work_dir", problem.Field);
        Assert.Contains(Path.Combine(_project.Dir, "missing"), problem.Problem);
        Assert.Contains("relative to the project dir", problem.Problem);
    }

    [Fact]
    public void A_work_dir_that_is_a_file_or_holds_a_NUL_is_refused_in_words()
    {
        var file = Path.Combine(_project.Dir, "file");
        File.WriteAllText(file, "");
        var spec = new DaemonSpec { Name = "web", Command = "/bin/true" };
        Assert.Contains("is a file", Assert.Single(Validation.Problems(spec with { WorkDir = file })).Problem);
        Assert.Contains("NUL", Assert.Single(Validation.Problems(spec with { WorkDir = "a\0b" }, "", _project.Dir)).Problem);
    }

    [Fact]
    public void A_spec_file_with_a_relative_work_dir_is_checked_against_the_project_dir()
    {
        Directory.CreateDirectory(Path.Combine(_project.Dir, "sub"));
        var path = Path.Combine(_project.Dir, "specs.json");
        File.WriteAllText(path, """[{"name": "web", "command": "/bin/true", "work_dir": "sub"}, {"name": "api", "command": "/bin/true", "work_dir": "missing"}]""");
        var e = Assert.Throws<InvalidSpecException>(() => SpecFile.Load(path, _project.Dir));
        var problem = Assert.Single(e.Problems);
        Assert.Equal("[1].work_dir", problem.Field);
        Assert.Contains(Path.Combine(_project.Dir, "missing"), problem.Problem);
    }

    [Fact]
    public async Task A_daemon_with_a_relative_work_dir_runs_in_that_dir_under_the_project()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_project.Dir, "services", "web")).FullName;
        await using (var supervisor = Supervisor.New(_project.Config()))
        {
            var daemon = await supervisor.StartAsync(_project.Daemon("web") with { WorkDir = "services/web" });
            Assert.True(daemon.Pid > 0);
            Assert.Equal(sub, new DirectoryInfo($"/proc/{daemon.Pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)!.FullName);
            Assert.Equal(Path.Combine(_project.Dir, "services", "web"), sub);
        }
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_relative_work_dir_missing_under_the_project_is_refused_by_start_and_starts_nothing()
    {
        await using (var supervisor = Supervisor.New(_project.Config()))
        {
            var e = await Assert.ThrowsAsync<InvalidSpecException>(() => supervisor.StartAsync(_project.Daemon("web") with { WorkDir = "nowhere" }));
            Assert.Contains("work_dir", e.Message);
            Assert.Empty(await supervisor.StatusAsync());
        }
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose() => _project.Dispose();
}
