using System.Text.Json;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// `status` and `stop` look where `up` wrote: a spec file's state-dir setting (--specs FILE) or --state-dir DIR, so an
/// orphan under a custom state dir is found and stopped instead of "nothing to stop". Finding 9.
/// </summary>
public sealed class StateDirOptionSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<CliProcess> _clis = [];

    private string SpecFile()
    {
        var path = Path.Combine(_project.Dir, "specs.conf");
        File.WriteAllText(path, $$"""
            actorsupervisor {
              state-dir = "custom-state"
              daemons = [
                { name = web, command = "{{TestDaemon.Path}}", env = ["{{TestProject.TagVariable}}={{_project.Tag}}"] }
              ]
            }
            """);
        return path;
    }

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_project, [.. args, "--project-dir", _project.Dir]);

    [Fact]
    public async Task Status_and_stop_find_an_orphan_under_the_state_dir_a_spec_file_names()
    {
        var specs = SpecFile();
        var up = CliProcess.Start(_project, "up", "--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _clis.Add(up);
        var web = await up.WaitForState("web", "running");
        up.Signal(Native.SIGKILL);
        await up.WaitForExitAsync();
        Assert.True(File.Exists(Path.Combine(_project.Dir, "custom-state", "pids", $"web-{_project.SessionId}.pid")));

        var bySpecs = await Run("status", "--json", "--specs", specs);
        var byDir = await Run("status", "--json", "--state-dir", "custom-state");
        var byDefault = await Run("stop", "--all");

        foreach (var status in new[] { bySpecs, byDir })
        {
            Assert.True(status.ExitCode == 0, status.ToString());
            using var json = JsonDocument.Parse(status.Out);
            var row = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal(web.Pid, row.GetProperty("pid").GetInt32());
            Assert.True(row.GetProperty("alive").GetBoolean());
        }
        Assert.Contains("nothing to stop", byDefault.Out); // .ntm holds nothing: the default is not where `up` wrote
        Assert.True(ProcessScan.IsAlive(web.Pid));

        var stop = await Run("stop", "--all", "--specs", specs);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"web (session {_project.SessionId}, pid {web.Pid}): stopped", stop.Out);
        Assert.False(ProcessScan.IsAlive(web.Pid));
        Assert.Empty(Directory.GetFiles(Path.Combine(_project.Dir, "custom-state", "pids")));
    }

    [Fact]
    public async Task An_empty_state_dir_flag_is_refused_naming_the_flag()
    {
        var result = await Run("status", "--state-dir", "");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--state-dir", result.Err);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cli in _clis) cli.Dispose();
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); } // kills whatever a failed test left, so it cannot cascade
    }
}
