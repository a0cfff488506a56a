using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Cli;

/// <summary>
/// The `actorsupervisor` command as outside tools drive it: the built executable as a real process, real daemons, real
/// ports, real signals. Every test ends with no process, PID file, lock file or port left behind.
/// </summary>
public sealed class CliSpecs : IDisposable
{
    private const int SIGHUP = 1;
    private const int SIGINT = 2;

    // Fast enough that a test sees health and restarts within a second or two.
    private static readonly string[] Quick = ["--health-interval", "200ms", "--backoff-min", "50ms", "--backoff-max", "1s"];

    private readonly TestProject _project = new();
    private readonly List<CliProcess> _clis = [];

    private CliProcess Up(params string[] args)
    {
        var up = CliProcess.Start(_project, ["up", "--project-dir", _project.Dir, "--session", _project.SessionId, .. args]);
        _clis.Add(up);
        return up;
    }

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_project, args);

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_project.Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string JsonSpecs(params DaemonSpec[] specs) => WriteFile("specs.json", JsonSerializer.Serialize(specs));

    private bool StateDirExists => Directory.Exists(Path.Combine(_project.Dir, ".ntm"));

    /// <summary>
    /// Signals `up`, expects exit 0, checks its stdout kept to the fixed line format to the end, and that every test
    /// daemon it ran exited by itself (after SIGTERM, with code 0): none needed SIGKILL.
    /// </summary>
    private async Task StopUp(CliProcess up, int signal, int expectedExit = 0)
    {
        up.Signal(signal);
        Assert.Equal(expectedExit, await up.WaitForExitAsync());
        AssertUpOutputKeptItsFormat(up);
        AssertNoDaemonNeededSigkill();
    }

    private static void AssertUpOutputKeptItsFormat(CliProcess up)
    {
        Assert.All(up.Stdout, line => Assert.True(StateLine.IsContractLine(line), $"not in the fixed format: {line}"));
        Assert.Matches(StateLine.SupervisorStopped(), up.Stdout[^1]);
    }

    private void AssertNoDaemonNeededSigkill(params int[] except)
    {
        foreach (var pid in _project.Signals.Started.Except(except)) _project.Signals.AssertExitedByItself(pid, $"daemon pid {pid}");
    }

    /// <summary>The PID of a process that has exited and been reaped: certainly nobody's now (for a moment).</summary>
    private static async Task<int> DeadPid()
    {
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        return gone.Id;
    }

    private static Dictionary<string, JsonElement> StatusByName(CliResult status)
    {
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Out);
        Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
        return json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone());
    }

    [Fact]
    public async Task Up_with_a_JSON_spec_file_runs_its_daemons_and_SIGTERM_stops_them_all_and_exits_0()
    {
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web"), _project.Daemon("worker")), .. Quick]);

        var web = await up.WaitForState("web", "running");
        var worker = await up.WaitForState("worker", "running");
        _project.RememberPort(web.Port);
        Assert.True(web.Port > 0);
        Assert.Equal(0, worker.Port);
        Assert.True(ProcessScan.IsAlive(web.Pid) && ProcessScan.IsAlive(worker.Pid));
        Assert.Equal(["web", "worker"], _project.Store.List().Select(e => e.Name));

        await Poll.Until(() => up.Stdout.Any(l => StateLine.SupervisorUp().IsMatch(l)), "no supervisor=up line");
        var upLine = StateLine.SupervisorUp().Match(up.Stdout.First(l => StateLine.SupervisorUp().IsMatch(l)));
        Assert.Equal(_project.SessionId, upLine.Groups["session"].Value);
        Assert.Equal(up.Pid.ToString(CultureInfo.InvariantCulture), upLine.Groups["pid"].Value);
        Assert.Equal("2", upLine.Groups["n"].Value);
        // At start, each daemon's name, pid, port and log file (on stderr, which no parser reads).
        var logs = Path.Combine(_project.Dir, ".ntm", "logs");
        Assert.Contains(up.Stderr, l => l.Contains($"web pid={web.Pid} port={web.Port} log={logs}/web-{_project.SessionId}.log"));
        Assert.Contains(up.Stderr, l => l.Contains($"worker pid={worker.Pid} port=0 log={logs}/worker-{_project.SessionId}.log"));

        await StopUp(up, Native.SIGTERM);
        Assert.Contains(up.States, s => s is { Daemon: "web", State: "stopped" });
        Assert.Contains(up.States, s => s is { Daemon: "worker", State: "stopped" });
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Up_with_a_HOCON_spec_file_uses_its_settings_below_the_flags_and_SIGTERM_stops_everything()
    {
        var tag = $"{TestProject.TagVariable}={_project.Tag}";
        var conf = WriteFile("specs.conf", $$"""
            actorsupervisor {
              health-interval = 300ms
              restart-backoff-min = 50ms
              restart-backoff-max = 1s
              settle-time = 300ms
              stop-grace = 1500ms
              daemons = [
                { name = web, command = "{{TestDaemon.Path}}", port-flag = "--port", health-url = "/health", needs-port = true, env = ["{{tag}}"] }
                { name = worker, command = "{{TestDaemon.Path}}", env = ["{{tag}}"] }
              ]
            }
            """);
        var up = Up("--specs", conf, "--stop-grace", "3s");

        await Poll.Until(() => _project.Store.List() is { Count: 2 } files && files.All(f => f.Info.IsAlive), "no live PID files");
        var web = await up.WaitForState("web", "running");
        await up.WaitForState("worker", "running");
        _project.RememberPort(web.Port);
        // Flag over file over default: stop-grace from the flag, the rest from the file.
        Assert.Contains(up.Stderr, l => l.Contains("health-interval=300ms") && l.Contains("backoff-min=50ms")
                                        && l.Contains("backoff-max=1s") && l.Contains("stop-grace=3s") && l.Contains("max-restarts=5"));

        await StopUp(up, Native.SIGTERM);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Up_without_specs_runs_the_bundled_demo_and_SIGINT_stops_it_cleanly()
    {
        var up = Up();

        var web = await up.WaitForState("web", "running");
        var api = await up.WaitForState("api", "running");
        var worker = await up.WaitForState("worker", "running");
        _project.RememberPort(web.Port);
        _project.RememberPort(api.Port);
        Assert.Equal(0, worker.Port);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{web.Port}/health"));
            Assert.Equal("ok", await http.GetStringAsync($"http://127.0.0.1:{api.Port}/health"));
        }
        // The demo daemons are this executable in its hidden mode, so the demo needs nothing else installed.
        Assert.Equal(CliProcess.ExecutablePath, ProcessScan.CommandLine(web.Pid)[0]);
        Assert.Contains("demo-daemon", ProcessScan.CommandLine(worker.Pid));

        await StopUp(up, SIGINT);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_daemon_that_cannot_start_is_reported_while_the_others_run_and_up_exits_1_at_the_end()
    {
        // Quotes, a backslash and a tab in the reason: the state line must still parse, and give the text back.
        var command = Path.Combine(_project.Dir, "no \"such\" \\ daemon\tx");
        var missing = _project.Daemon("ghost") with { Command = command };
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web"), missing), .. Quick]);

        var web = await up.WaitForState("web", "running");
        _project.RememberPort(web.Port);
        var ghost = await up.WaitForState("ghost", "failed");
        Assert.Contains($"'{command}'", StateLine.Unescape(ghost.Reason!));
        Assert.Contains(up.Stderr, l => l.Contains("ghost did not start"));

        await StopUp(up, Native.SIGTERM, expectedExit: 1);
        await _project.AssertNothingLeftBehind();
    }

    [Theory]
    [InlineData("truncated.json", """[{"name": "web", "command": "/bin/sleep",""")]
    [InlineData("port.json", """[{"name": "web", "command": "/bin/sleep", "default_port": 70000}]""", "[0].default_port", "70000")]
    [InlineData("twice.json", """[{"name": "web", "command": "/bin/sleep"}, {"name": "web", "command": "/bin/sleep"}]""",
        "[1].name", "used twice")]
    [InlineData("setting.conf", """actorsupervisor { health-interval = soon, daemons = [{ name = web, command = "/bin/sleep" }] }""",
        "actorsupervisor.health-interval", "soon")]
    [InlineData("entry.conf", """actorsupervisor.daemons = [{ name = web, command = "/bin/sleep", env = ["not an assignment"] }]""",
        "[0].env[0]", "not an assignment")]
    public async Task A_bad_spec_file_exits_2_naming_the_file_and_field_and_starts_and_writes_nothing(
        string file, string content, params string[] expected)
    {
        var path = WriteFile(file, content);

        var result = await Run("up", "--specs", path, "--project-dir", _project.Dir);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(path, result.Err);
        foreach (var fragment in expected) Assert.Contains(fragment, result.Err);
        Assert.Empty(result.Stdout);
        Assert.False(StateDirExists, "a refused spec file must not create .ntm");
        await _project.AssertNothingLeftBehind();
    }

    [Theory]
    [InlineData("--health-interval", "5x")]
    [InlineData("--backoff-min", "0ms")]
    [InlineData("--backoff-max", "forever")]
    [InlineData("--stop-grace", "2 days")]
    [InlineData("--max-restarts", "many")]
    [InlineData("--session", "../escape")]
    [InlineData("--project-dir", "/nonexistent/actorsupervisor-project")]
    public async Task A_bad_flag_value_exits_2_naming_the_flag_and_value_and_starts_nothing(string flag, string value)
    {
        var specs = JsonSpecs(_project.Daemon("web"));
        string[] where = flag == "--project-dir" ? [] : ["--project-dir", _project.Dir];

        var result = await Run(["up", "--specs", specs, .. where, flag, value]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{flag}: '{value}'", result.Err);
        Assert.False(StateDirExists, "a refused flag must not create .ntm");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_minimum_backoff_above_the_maximum_exits_2_naming_both_flags()
    {
        var result = await Run("up", "--specs", JsonSpecs(_project.Daemon("web")), "--project-dir", _project.Dir,
            "--backoff-min", "2s", "--backoff-max", "1s");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--backoff-min: '2s'", result.Err);
        Assert.Contains("--backoff-max ('1s')", result.Err);
        Assert.False(StateDirExists);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Status_json_reports_a_live_daemon_as_alive_and_a_stale_pid_file_as_not_alive()
    {
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web")), .. Quick]);
        var web = await up.WaitForState("web", "running");
        _project.RememberPort(web.Port);
        var dead = await DeadPid();
        _project.Store.Write("ghost", new PidFileInfo
        {
            Pid = dead, Port = 41999, OwnerId = "old", Command = "ghostd", Name = "ghost", StartedAt = DateTimeOffset.UtcNow.AddHours(-1),
            ProcessStartTime = 1, ProcessGroup = dead, SupervisorPid = dead, SupervisorStartTime = 1,
        });

        var status = StatusByName(await Run("status", "--json", "--project-dir", _project.Dir));

        Assert.Equal(["ghost", "web"], status.Keys.Order());
        var live = status["web"];
        Assert.True(live.GetProperty("alive").GetBoolean());
        Assert.True(live.GetProperty("supervisor_alive").GetBoolean());
        Assert.Equal(up.Pid, live.GetProperty("supervisor_pid").GetInt32());
        Assert.Equal(_project.SessionId, live.GetProperty("owner_id").GetString());
        Assert.Equal(web.Pid, live.GetProperty("pid").GetInt32());
        Assert.Equal(web.Port, live.GetProperty("port").GetInt32());
        Assert.Equal(TestDaemon.Path, live.GetProperty("command").GetString());
        Assert.EndsWith($"web-{_project.SessionId}.log", live.GetProperty("log_path").GetString());
        Assert.True(live.GetProperty("started_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var stale = status["ghost"];
        Assert.False(stale.GetProperty("alive").GetBoolean());
        Assert.False(stale.GetProperty("supervisor_alive").GetBoolean());
        Assert.Equal("old", stale.GetProperty("owner_id").GetString());

        var table = await Run("status", "--project-dir", _project.Dir);
        Assert.Equal(0, table.ExitCode);
        // The running supervisor answers for web; ghost's session has none, so its PID file is shown below.
        Assert.Contains($"supervisor pid {up.Pid}", table.Out);
        Assert.Contains(table.Stdout, l => l.Contains(" web ") && l.Contains("running") && l.Contains(web.Pid.ToString()));
        Assert.Contains(table.Stdout, l => l.Contains(" ghost ") && l.Contains("stale PID file"));

        await StopUp(up, Native.SIGTERM);
        var cleanup = await Run("stop", "--all", "--project-dir", _project.Dir);
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        Assert.Contains("ghost (session old", cleanup.Out);
        Assert.Contains("stale", cleanup.Out);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stop_refuses_a_daemon_whose_supervisor_is_alive_and_names_that_supervisor()
    {
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web")), .. Quick]);
        var web = await up.WaitForState("web", "running");
        _project.RememberPort(web.Port);

        // A running supervisor stops its daemons itself when asked through its control socket (Control/DaemonCommandSpecs); one
        // that does not answer there (an older version, a library host without it) is refused from the PID files.
        File.Delete(Path.Combine(_project.Dir, ".ntm", "control", _project.SessionId + ".sock"));
        var byName = await Run("stop", "web", "--project-dir", _project.Dir);
        var all = await Run("stop", "--all", "--project-dir", _project.Dir, "--session", _project.SessionId);

        foreach (var refused in new[] { byName, all })
        {
            Assert.True(refused.ExitCode == 1, refused.ToString());
            Assert.Contains($"supervisor (pid {up.Pid}, session {_project.SessionId})", refused.Err);
        }
        Assert.True(ProcessScan.IsAlive(web.Pid));
        Assert.Single(_project.Store.List());
        Assert.DoesNotContain(up.States, s => s.State is "restarting" or "stopping");
        Assert.Equal(["start"], _project.Signals.EventsOf(web.Pid)); // never signalled

        await StopUp(up, Native.SIGTERM);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stop_all_stops_the_orphans_of_a_killed_supervisor_and_removes_their_pid_files()
    {
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web"), _project.Daemon("worker")), .. Quick]);
        var web = await up.WaitForState("web", "running");
        var worker = await up.WaitForState("worker", "running");
        _project.RememberPort(web.Port);

        await _project.Signals.WaitForStart(web.Pid, worker.Pid);
        up.Signal(Native.SIGKILL);
        await up.WaitForExitAsync();
        Assert.True(ProcessScan.IsAlive(web.Pid) && ProcessScan.IsAlive(worker.Pid), "persistent daemons outlive their supervisor");
        var status = StatusByName(await Run("status", "--json", "--project-dir", _project.Dir));
        Assert.All(status.Values, s =>
        {
            Assert.True(s.GetProperty("alive").GetBoolean());
            Assert.False(s.GetProperty("supervisor_alive").GetBoolean());
        });

        var stop = await Run("stop", "--all", "--project-dir", _project.Dir);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"web (session {_project.SessionId}, pid {web.Pid}): stopped", stop.Out);
        Assert.Contains($"worker (session {_project.SessionId}, pid {worker.Pid}): stopped", stop.Out);
        Assert.False(ProcessScan.IsAlive(web.Pid) || ProcessScan.IsAlive(worker.Pid));
        _project.Signals.AssertStoppedGracefully(web.Pid, "web");
        _project.Signals.AssertStoppedGracefully(worker.Pid, "worker");
        await _project.AssertNothingLeftBehind(); // also the lock files the killed supervisor left
    }

    [Fact]
    public async Task Stop_on_a_stale_pid_file_whose_pid_was_reused_never_signals_that_process()
    {
        // It leads its own group, as the file claims, and records every signal it gets.
        using var bystander = await Bystander.StartAsync(_project);
        var identity = bystander.Identity;
        var dead = await DeadPid();
        // Ours, but with a start time that is not the bystander's: the PID was reused.
        _project.Store.Write("ghost", new PidFileInfo
        {
            Pid = bystander.Pid, OwnerId = _project.SessionId, Command = TestDaemon.Path, Name = "ghost", StartedAt = DateTimeOffset.UtcNow,
            ProcessStartTime = identity.StartTime + 12345, ProcessGroup = bystander.Pid, SupervisorPid = dead, SupervisorStartTime = 1,
        });
        // NTM's kind, without a start time: the command line does not match, so the PID is not believed either.
        _project.Store.Write("ntm", new PidFileInfo { Pid = bystander.Pid, OwnerId = "ntm-session", Command = "cm", StartedAt = DateTimeOffset.UtcNow });

        var named = await Run("stop", "ghost", "--project-dir", _project.Dir);
        var all = await Run("stop", "--all", "--project-dir", _project.Dir);

        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Contains("ghost", named.Out);
        Assert.Contains("stale PID file removed (that pid now belongs to another process); nothing signalled", named.Out);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("ntm (session ntm-session", all.Out);
        Assert.Contains("stale", all.Out);
        bystander.AssertNeverSignalled();
        Assert.Empty(_project.PidFiles());

        bystander.Dispose();
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Stop_of_an_unknown_name_exits_1_and_stop_without_a_target_exits_2()
    {
        var unknown = await Run("stop", "nosuch", "--project-dir", _project.Dir);
        var neither = await Run("stop", "--project-dir", _project.Dir);
        var both = await Run("stop", "web", "--all", "--project-dir", _project.Dir);

        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("no daemon named 'nosuch'", unknown.Err);
        Assert.True(neither.ExitCode == 2, neither.ToString());
        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.False(StateDirExists);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task SIGHUP_stops_every_daemon_gracefully_and_up_exits_0()
    {
        var up = Up(["--specs", JsonSpecs(_project.HttpDaemon("web"), _project.Daemon("worker")), .. Quick]);
        var web = await up.WaitForState("web", "running");
        var worker = await up.WaitForState("worker", "running");
        _project.RememberPort(web.Port);
        await _project.Signals.WaitForStart(web.Pid, worker.Pid);

        await StopUp(up, SIGHUP);

        Assert.Contains(up.Stderr, l => l.Contains("SIGHUP: stopping every daemon"));
        _project.Signals.AssertStoppedGracefully(web.Pid, "web");
        _project.Signals.AssertStoppedGracefully(worker.Pid, "worker");
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_second_signal_while_stopping_neither_cuts_the_stop_short_nor_ends_up_before_its_daemons()
    {
        var up = Up(["--specs", JsonSpecs(_project.Daemon("stubborn", "--ignore-sigterm"), _project.Daemon("worker")),
            "--stop-grace", "2s", .. Quick]);
        var stubborn = await up.WaitForState("stubborn", "running");
        var worker = await up.WaitForState("worker", "running");
        await _project.Signals.WaitForStart(stubborn.Pid, worker.Pid);

        var clock = Stopwatch.StartNew();
        up.Signal(Native.SIGTERM);
        await up.WaitForState("stubborn", "stopping");
        // The impatient operator: Ctrl+C, another SIGTERM, a closed terminal, while the stubborn daemon's grace runs.
        up.Signal(SIGINT);
        up.Signal(Native.SIGTERM);
        up.Signal(SIGHUP);

        Assert.Equal(0, await up.WaitForExitAsync());
        clock.Stop();
        AssertUpOutputKeptItsFormat(up);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"up exited {clock.ElapsedMilliseconds} ms after SIGTERM, inside the 2 s grace");
        Assert.Single(up.Stderr, l => l.Contains("stopping every daemon"));
        Assert.Contains(up.States, s => s is { Daemon: "stubborn", State: "stopped" });
        Assert.Contains(up.States, s => s is { Daemon: "worker", State: "stopped" });
        _project.Signals.AssertStoppedGracefully(worker.Pid, "worker");
        Assert.Equal(["start", "SIGTERM"], _project.Signals.EventsOf(stubborn.Pid)); // one SIGTERM, then the grace, then SIGKILL
        AssertNoDaemonNeededSigkill(except: stubborn.Pid);
        await _project.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Status_json_on_a_project_without_daemons_prints_an_empty_array_and_creates_nothing()
    {
        var json = await Run("status", "--json", "--project-dir", _project.Dir);
        var table = await Run("status", "--project-dir", _project.Dir);

        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.Out))
        {
            Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
            Assert.Equal(0, document.RootElement.GetArrayLength());
        }
        Assert.Empty(json.Stderr);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("no daemons", table.Out);
        Assert.False(StateDirExists, "status must not create .ntm");
    }

    [Fact]
    public void The_example_spec_files_in_the_hocon_folder_are_valid_and_describe_the_demo()
    {
        foreach (var file in new[] { "demo.conf", "example-specs.json" })
        {
            var contents = SpecFile.Load(Path.Combine(TestDaemon.RepoRoot, "hocon", file));
            Assert.Equal(["web", "api", "worker"], contents.Specs.Select(s => s.Name));
            Assert.All(contents.Specs, s => Assert.Equal("actorsupervisor", s.Command));
        }
    }

    public void Dispose()
    {
        foreach (var cli in _clis) cli.Dispose();
        _project.Dispose();
    }
}
