namespace ActorSupervisor.Processes;

/// <summary>Finds the file a command names, the way a shell would, but without one.</summary>
internal static class CommandPath
{
    public const string Setpriv = "/usr/bin/setpriv";

    /// <summary>
    /// An absolute path as is; a path with a slash relative to <paramref name="workDir"/>; a bare name searched in
    /// <paramref name="path"/> (the daemon's PATH, which its spec's Env may have changed).
    /// Throws <see cref="DaemonLaunchException"/> naming the command if nothing executable is found.
    /// </summary>
    public static string Resolve(string command, string workDir, string? path)
    {
        if (command.Contains('/'))
        {
            var full = Path.GetFullPath(command, workDir);
            if (IsExecutableFile(full)) return full;
            throw new DaemonLaunchException(
                Directory.Exists(full) ? $"command '{command}' is a directory, not a program ({full})"
                : File.Exists(full) ? $"command '{command}' is not executable ({full})"
                : $"command '{command}' not found ({full} does not exist)");
        }
        foreach (var dir in (path ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(Path.GetFullPath(dir, workDir), command);
            if (IsExecutableFile(candidate)) return candidate;
        }
        throw new DaemonLaunchException($"command '{command}' not found on PATH");
    }

    private static bool IsExecutableFile(string file)
    {
        if (!File.Exists(file)) return false;
        var mode = File.GetUnixFileMode(file);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
