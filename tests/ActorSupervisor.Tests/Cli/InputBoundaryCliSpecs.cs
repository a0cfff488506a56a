using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Daemons;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Cli;

/// <summary>
/// `up` at its input boundary, as the built executable: spec files and streams as a careless or hostile user gives
/// them. A refusal exits 2 naming the field and starts and writes nothing; what is accepted runs and stops cleanly.
/// </summary>
public sealed class InputBoundaryCliSpecs : IDisposable
{
    private readonly TestProject _project = new();
    private readonly List<IDisposable> _running = [];

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_project.Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Tag => $"{TestProject.TagVariable}={_project.Tag}";

    private bool StateDirExists => Directory.Exists(Path.Combine(_project.Dir, ".ntm"));

    [Fact]
    public async Task A_misspelt_key_exits_2_with_the_key_it_meant_and_starts_nothing()
    {
        var specs = WriteFile("specs.json", $$"""[{"name": "web", "command": "{{TestDaemon.Path}}", "needs_port": true, "helth_url": "/health"}]""");

        var result = await CliProcess.RunAsync(_project, "up", "--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("[0].helth_url: is not a daemon spec field; did you mean 'health_url'?", result.Err);
        Assert.Empty(result.Stdout);
        Assert.False(StateDirExists);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Every_problem_of_a_file_is_reported_in_one_run_in_words()
    {
        var specs = WriteFile("specs.json", """
            [{"name": "web\n", "command": 5, "args": ["--port", 8080], "default_port": "80"},
             {"name": "api", "command": "/bin/true", "env": {"A": "1"}, "lifetime": "forever"}]
            """);

        var result = await CliProcess.RunAsync(_project, "up", "--specs", specs, "--project-dir", _project.Dir);

        Assert.True(result.ExitCode == 2, result.ToString());
        foreach (var field in new[] { "[0].name", "[0].command", "[0].args[1]", "[0].default_port", "[1].env", "[1].lifetime" })
            Assert.Contains($"  {field}: ", result.Err);
        Assert.Contains(@"(got 'web\n')", result.Err);
        Assert.DoesNotMatch(SpecFileSpecs.DotNetText(), result.Err);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.False(StateDirExists);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_HOCON_file_with_a_quoted_port_in_args_runs_it_as_a_string()
    {
        var port = TestPorts.Unbound();
        _project.RememberPort(port);
        var conf = WriteFile("specs.conf", $$"""
            actorsupervisor {
              health-interval = 200ms
              daemons = [
                { name = web, command = "{{TestDaemon.Path}}", args = ["--port", "{{port}}"],
                  health-url = "http://127.0.0.1:{{port}}/health", env = ["{{Tag}}"] }
              ]
            }
            """);
        using var up = CliProcess.Start(_project, "up", "--specs", conf, "--project-dir", _project.Dir, "--session", _project.SessionId);
        _running.Add(up);

        var web = await up.WaitForState("web", "running");
        Assert.Equal(["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], ProcessScan.CommandLine(web.Pid).Skip(1));

        up.Signal(Native.SIGTERM);
        Assert.Equal(0, await up.WaitForExitAsync());
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_relative_work_dir_is_under_the_project_dir_not_the_current_dir()
    {
        // up runs in _project.Dir; the project is a folder below it, so "svc" exists only under the project.
        var app = Directory.CreateDirectory(Path.Combine(_project.Dir, "app")).FullName;
        var svc = Directory.CreateDirectory(Path.Combine(app, "svc")).FullName;
        var specs = WriteFile("specs.json", $$"""[{"name": "worker", "command": "{{TestDaemon.Path}}", "work_dir": "svc"}]""");
        using var up = CliProcess.Start(_project, "up", "--specs", specs, "--project-dir", app, "--session", _project.SessionId,
            "--backoff-min", "50ms");
        _running.Add(up);

        var worker = await up.WaitForState("worker", "running");
        Assert.Equal(svc, new DirectoryInfo($"/proc/{worker.Pid}/cwd").ResolveLinkTarget(false)!.FullName);

        up.Signal(Native.SIGTERM);
        Assert.Equal(0, await up.WaitForExitAsync());
        await _project.AssertNothingLeftBehind();
        Assert.Empty(Directory.GetFiles(Path.Combine(app, ".ntm", "pids")));
    }

    [Theory]
    [InlineData(">&-")]
    [InlineData("<&- >&-")]
    public async Task Up_with_stdout_closed_runs_its_daemons_writes_nothing_there_and_stops_cleanly(string redirections)
    {
        var specs = WriteFile("specs.json", $$"""[{"name": "worker", "command": "{{TestDaemon.Path}}"}]""");
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            WorkingDirectory = _project.Dir,
        };
        // The test's own shell closes the streams, as a user's would; no shell is on any daemon's path.
        foreach (var arg in new[] { "-c", $"exec \"$0\" \"$@\" {redirections}", CliProcess.ExecutablePath,
                     "up", "--specs", specs, "--project-dir", _project.Dir, "--session", _project.SessionId, "--stop-grace", "2s" })
            info.ArgumentList.Add(arg);
        info.Environment[TestProject.TagVariable] = _project.Tag;
        using var up = Process.Start(info)!;
        var stderr = new List<string>();
        up.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        up.BeginErrorReadLine();
        _running.Add(up);

        var deadline = DateTime.UtcNow + CliProcess.Patience;
        while (!_project.Store.List().Any(f => f.Info.IsAlive) && !up.HasExited && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(up.HasExited, string.Join('\n', stderr));
        var daemon = Assert.Single(_project.Store.List());
        Assert.True(ProcessScan.IsAlive(daemon.Info.Pid));

        // Stopping writes state lines too; none of them may turn into an error (exit 1).
        Assert.Equal(0, Native.kill(up.Id, Native.SIGTERM));
        await up.WaitForExitAsync().WaitAsync(CliProcess.Patience);
        Assert.Equal(0, up.ExitCode);
        lock (stderr)
        {
            Assert.DoesNotContain(stderr, l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(stderr, l => l.Contains("stdout is closed"));
        }
        await _project.AssertNothingLeftBehind();
    }

    public void Dispose()
    {
        foreach (var running in _running)
        {
            if (running is Process p)
            {
                try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
            }
            running.Dispose();
        }
        _project.Dispose();
    }
}
