using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Control;

/// <summary>The control socket: private, one per session, reachable from a project dir of any length.</summary>
public sealed class ControlSocketSpecs : IDisposable
{
    private ControlHarness _h = new();

    [Fact]
    public async Task The_socket_is_private_and_a_second_supervisor_of_the_same_session_is_refused()
    {
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.Daemon("web")), .. ControlHarness.Quick]);
        await up.WaitForState("web", "running");
        var socket = Path.Combine(_h.ControlDir, _h.Session + ".sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_h.ControlDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

        var second = _h.Up(["--specs", _h.WriteSpecs("specs2.json", p.Daemon("other")), .. ControlHarness.Quick]);
        Assert.Equal(1, await second.WaitForExitAsync());
        Assert.Contains(second.Stderr, l => l.Contains($"session '{_h.Session}' is already run by another supervisor (pid {up.Pid})"));
        // The first one still answers, and the second started nothing.
        var status = await _h.Status();
        Assert.Equal(["web"], status.Keys);
        Assert.Equal(up.Pid, status["web"].GetProperty("supervisor_pid").GetInt32());

        await _h.StopUp(up);
        await _h.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_project_dir_too_long_for_a_socket_path_still_gets_its_control_socket()
    {
        _h.Dispose();
        var deep = Path.Combine(Path.GetTempPath(), "actorsupervisor-long-" + Guid.NewGuid().ToString("N"),
            new string('d', 60), new string('e', 60));
        _h = new ControlHarness(deep);
        var p = _h.Project;
        var up = _h.Up(["--specs", _h.WriteSpecs("specs.json", p.Daemon("web")), .. ControlHarness.Quick]);
        var web = await up.WaitForState("web", "running");
        var socket = Path.Combine(_h.ControlDir, _h.Session + ".sock");
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(socket) > 108, socket);
        Assert.True(File.Exists(socket));

        var restart = await _h.Run("restart", "web");

        Assert.True(restart.ExitCode == 0, restart.ToString());
        var after = await _h.WaitForStatus("web", d => d.GetProperty("state").GetString() == "running", "not running");
        Assert.NotEqual(web.Pid, after.GetProperty("pid").GetInt32());
        await _h.StopUp(up);
        Assert.Empty(Directory.GetFiles(Path.Combine(deep, ".ntm", "pids")));
        await _h.AssertNothingLeftBehind();
        Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(deep))!, recursive: true);
    }

    public void Dispose() => _h.Dispose();
}
