namespace ActorSupervisor.Processes;

/// <summary>
/// A daemon's log: the daemon writes to it directly (O_APPEND), so it keeps logging after its supervisor dies.
/// That rules out rename-based rotation (the daemon would keep writing the renamed file), so rotation copies the
/// file to .1 and truncates it in place, as logrotate's copytruncate does; O_APPEND writers continue at offset 0.
/// </summary>
public static class LogFile
{
    public static bool NeedsRotation(string path, long maxBytes)
    {
        try { return maxBytes > 0 && new FileInfo(path).Length > maxBytes; }
        catch (IOException) { return false; }
    }

    /// <summary>Keeps <paramref name="keep"/> old copies: path.1 (newest) .. path.keep (oldest).</summary>
    public static void Rotate(string path, int keep)
    {
        if (!File.Exists(path)) return;
        if (keep <= 0)
        {
            Truncate(path);
            return;
        }
        File.Delete($"{path}.{keep}");
        for (var i = keep - 1; i >= 1; i--)
            if (File.Exists($"{path}.{i}")) File.Move($"{path}.{i}", $"{path}.{i + 1}");
        File.Copy(path, $"{path}.1");
        Truncate(path);
    }

    private static void Truncate(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(0);
    }

    /// <summary>The last lines of the log, for a failure record. Reads at most the last 16 KiB.</summary>
    public static IReadOnlyList<string> Tail(string path, int lines = 10)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var start = Math.Max(0, stream.Length - 16 * 1024);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (start > 0 && all.Length > 0) all = all[1..]; // the first line was cut
            return all.TakeLast(lines).Select(l => l.TrimEnd('\r')).ToArray();
        }
        catch (IOException) { return []; }
    }

    /// <summary>
    /// Appends one line (best effort: false if it could not be written). Never through a symlink: the log dir is
    /// ours, and a link planted there must not make us write into its target.
    /// </summary>
    public static unsafe bool AppendLine(string path, string line)
    {
        try
        {
            if (new FileInfo(path).LinkTarget is not null) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // .NET's FileMode.Append seeks to the end once; only O_APPEND makes every write land at the end, between the
        // daemon's own lines rather than over them.
        var fd = Native.open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND | Native.O_CLOEXEC, 0b110_000_000);
        if (fd < 0) return false;
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            fixed (byte* p = bytes) return Native.write(fd, p, bytes.Length) == bytes.Length;
        }
        finally
        {
            Native.close(fd);
        }
    }

    /// <summary>Every file of a daemon's log set (the live file and its rotated copies).</summary>
    public static IEnumerable<string> Set(string path, int keep) =>
        new[] { path }.Concat(Enumerable.Range(1, Math.Max(keep, 0)).Select(i => $"{path}.{i}")).Where(File.Exists);
}
