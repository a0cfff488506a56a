using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// A command is found the way a shell finds it, without a shell: absolute as is, with a slash from the work dir, bare on
/// the daemon's own PATH; anything not executable is refused with a message that names the command and the path.
/// </summary>
public sealed class CommandPathSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-cmdpath-").FullName;

    private string Program(string relative, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void An_absolute_path_is_taken_as_it_is()
    {
        var program = Program("bin/tool", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(program, CommandPath.Resolve(program, "/", null));
    }

    [Fact]
    public void A_path_with_a_slash_is_relative_to_the_work_dir_not_to_the_current_directory()
    {
        var program = Program("bin/tool", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(program, CommandPath.Resolve("./bin/tool", _dir, "/usr/bin"));
        Assert.Equal(program, CommandPath.Resolve("bin/tool", _dir, "/usr/bin"));
    }

    [Theory]
    [InlineData(UnixFileMode.UserExecute)]
    [InlineData(UnixFileMode.GroupExecute)]
    [InlineData(UnixFileMode.OtherExecute)]
    public void Any_one_execute_bit_makes_a_file_a_program(UnixFileMode bit)
    {
        var program = Program("bin/tool", UnixFileMode.UserRead | bit);
        Assert.Equal(program, CommandPath.Resolve("bin/tool", _dir, null));
    }

    [Fact]
    public void A_bare_name_is_searched_on_the_given_PATH_in_order_skipping_what_is_missing_or_not_executable()
    {
        Program("first/tool", UnixFileMode.UserRead | UnixFileMode.UserWrite); // not executable: skipped
        var second = Program("second/tool", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Program("third/tool", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var path = $"{_dir}/missing::{_dir}/first:{_dir}/second:{_dir}/third";
        Assert.Equal(second, CommandPath.Resolve("tool", "/", path));
    }

    [Fact]
    public void A_relative_PATH_entry_is_relative_to_the_work_dir()
    {
        var program = Program("bin/tool", UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(program, CommandPath.Resolve("tool", _dir, "bin"));
    }

    [Fact]
    public void Without_a_PATH_a_bare_name_is_searched_in_the_usual_system_directories()
    {
        Assert.Equal("/usr/bin/env", CommandPath.Resolve("env", _dir, null));
        var e = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("env", _dir, _dir));
        Assert.Equal("command 'env' not found on PATH", e.Message);
    }

    [Fact]
    public void A_path_that_does_not_exist_is_refused_naming_the_command_and_the_full_path()
    {
        var e = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("bin/none", _dir, null));
        Assert.Equal($"command 'bin/none' not found ({_dir}/bin/none does not exist)", e.Message);
    }

    [Fact]
    public void A_directory_is_refused_as_not_a_program()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "bin", "tool"));
        var e = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("bin/tool", _dir, null));
        Assert.Equal($"command 'bin/tool' is a directory, not a program ({_dir}/bin/tool)", e.Message);
        // And a directory on the PATH with the command's name is not taken for it.
        Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("tool", _dir, $"{_dir}/bin"));
    }

    [Fact]
    public void A_file_without_an_execute_bit_is_refused_as_not_executable()
    {
        Program("bin/tool", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var e = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("bin/tool", _dir, null));
        Assert.Equal($"command 'bin/tool' is not executable ({_dir}/bin/tool)", e.Message);
        Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("tool", "/", $"{_dir}/bin"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
