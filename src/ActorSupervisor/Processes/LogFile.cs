using System.Text;

namespace ActorSupervisor.Processes;

/// <summary>
/// A daemon's log: the daemon writes to it directly (O_APPEND), so it keeps logging after its supervisor dies.
/// That rules out rename-based rotation (the daemon would keep writing the renamed file), so rotation copies the
/// file to .1 and truncates it in place, as logrotate's copytruncate does; O_APPEND writers continue at offset 0.
/// Every file is reached through <see cref="SafeFile"/>: a symbolic link planted as a log or a rotated copy is
/// refused, never followed (neither read from nor truncated nor written through).
/// </summary>
internal static class LogFile
{
    private const int TailBytes = 16 * 1024;
    private const int CopyChunk = 64 * 1024;

    public static bool NeedsRotation(string path, long maxBytes) =>
        maxBytes > 0 && SafeFile.Lstat(path) is { IsRegular: true } facts && facts.Size > maxBytes;

    /// <summary>Keeps <paramref name="keep"/> old copies: path.1 (newest) .. path.keep (oldest).</summary>
    public static void Rotate(string path, int keep)
    {
        if (SafeFile.Lstat(path) is null) return;
        if (keep <= 0)
        {
            Truncate(path);
            return;
        }
        SafeFile.Delete($"{path}.{keep}");
        for (var i = keep - 1; i >= 1; i--) SafeFile.Rename($"{path}.{i}", $"{path}.{i + 1}");
        Copy(path, $"{path}.1");
        Truncate(path);
    }

    private static void Copy(string from, string to)
    {
        using var source = SafeFile.Open(from, Native.O_RDONLY);
        using var target = SafeFile.Open(to, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL);
        // Up to the size seen now: the daemon keeps appending, and what it writes after this goes to the live file.
        var size = SafeFile.SizeOf(source);
        var buffer = new byte[CopyChunk];
        long offset = 0;
        while (offset < size)
        {
            var n = RandomAccess.Read(source, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - offset)), offset);
            if (n == 0) break;
            SafeFile.WriteAll(target, buffer.AsSpan(0, n), to);
            offset += n;
        }
    }

    private static void Truncate(string path)
    {
        using var handle = SafeFile.Open(path, Native.O_WRONLY);
        RandomAccess.SetLength(handle, 0);
    }

    /// <summary>The last lines of the log, for a failure record. Reads at most the last 16 KiB.</summary>
    public static IReadOnlyList<string> Tail(string path, int lines = 10)
    {
        try
        {
            using var handle = SafeFile.Open(path, Native.O_RDONLY);
            var size = SafeFile.SizeOf(handle);
            var start = Math.Max(0, size - TailBytes);
            var buffer = new byte[size - start];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), start + read);
                if (n == 0) break;
                read += n;
            }
            var all = Encoding.UTF8.GetString(buffer, 0, read).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (start > 0 && all.Length > 0) all = all[1..]; // the first line was cut
            return all.TakeLast(lines).Select(l => l.TrimEnd('\r')).ToArray();
        }
        catch (IOException) { return []; }
    }

    /// <summary>
    /// Appends one line (best effort: false if it could not be written). Never through a symlink: the log dir is
    /// ours, and a link planted there must not make us write into its target.
    /// </summary>
    public static bool AppendLine(string path, string line)
    {
        // O_APPEND (through SafeFile's open): every write lands at the end, between the daemon's own lines rather than
        // over them; .NET's FileMode.Append seeks to the end once.
        try
        {
            using var handle = SafeFile.Open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND);
            SafeFile.WriteAll(handle, Encoding.UTF8.GetBytes(line + "\n"), path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Every file of a daemon's log set (the live file and its rotated copies).</summary>
    public static IEnumerable<string> Set(string path, int keep) =>
        new[] { path }.Concat(Enumerable.Range(1, Math.Max(keep, 0)).Select(i => $"{path}.{i}"))
            .Where(p => SafeFile.Lstat(p) is { IsRegular: true });
}
