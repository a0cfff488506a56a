using System.Text;

namespace ActorSupervisor.Control.Logs;

/// <summary>
/// Reading a daemon's log: its last lines, and what is appended after them. Every read is bounded (a log is written
/// by the daemon, so it may be huge, binary, or one endless line), and a log that is a symbolic link is not followed:
/// the logs directory is the supervisor's, and a link planted there must not make it read another file.
/// </summary>
internal static class LogTail
{
    /// <summary>The most a tail reads from the end of the file, whatever number of lines is asked for.</summary>
    public const int MaxTailBytes = 1024 * 1024;

    public const int MaxLines = 10_000;

    /// <summary>The most a follow reads in one go; a daemon writing faster is read in several.</summary>
    private const int FollowChunk = 64 * 1024;

    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>The last <paramref name="lines"/> lines, and the offset just past them (where a follow goes on).</summary>
    public static (IReadOnlyList<string> Lines, long End) Last(string path, int lines)
    {
        using var stream = Open(path);
        if (stream is null) return ([], 0);
        var end = stream.Length;
        var start = Math.Max(0, end - MaxTailBytes);
        stream.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[end - start];
        stream.ReadExactly(buffer);
        var text = Encoding.UTF8.GetString(buffer);
        var all = text.Split('\n');
        // A cut first line is incomplete; a final empty element is the newline that ends the file.
        var from = start > 0 ? 1 : 0;
        var to = all.Length > 0 && all[^1].Length == 0 ? all.Length - 1 : all.Length;
        var kept = all[from..Math.Max(from, to)].Select(l => l.TrimEnd('\r'));
        return (kept.TakeLast(Math.Clamp(lines, 0, MaxLines)).ToList(), end);
    }

    /// <summary>
    /// Hands every line appended from <paramref name="offset"/> on to <paramref name="write"/> until cancelled. A file
    /// that shrinks was rotated (copied and truncated): reading starts again from its beginning.
    /// </summary>
    public static async Task FollowAsync(string path, long offset, Func<string, Task> write, CancellationToken ct)
    {
        var pending = new StringBuilder();
        var buffer = new byte[FollowChunk];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(FollowChunk)];
        while (!ct.IsCancellationRequested)
        {
            var read = 0;
            using (var stream = Open(path))
            {
                if (stream is not null)
                {
                    if (stream.Length < offset) offset = 0;
                    stream.Seek(offset, SeekOrigin.Begin);
                    read = await stream.ReadAsync(buffer, ct);
                    offset += read;
                }
            }
            if (read > 0)
            {
                var n = decoder.GetChars(buffer, 0, read, chars, 0);
                pending.Append(chars, 0, n);
                var text = pending.ToString();
                var last = text.LastIndexOf('\n');
                if (last >= 0)
                {
                    foreach (var line in text[..last].Split('\n')) await write(line.TrimEnd('\r'));
                    pending.Clear().Append(text, last + 1, text.Length - last - 1);
                }
                // An endless line is handed on in pieces rather than held.
                if (pending.Length > FollowChunk)
                {
                    await write(pending.ToString());
                    pending.Clear();
                }
                if (read == buffer.Length) continue; // more is waiting
            }
            try { await Task.Delay(FollowPoll, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static FileStream? Open(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null) return null;
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
