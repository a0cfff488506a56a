using System.Globalization;
using System.Text;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// The file every benchdaemon appends "&lt;pid&gt; &lt;CLOCK_REALTIME ns&gt;\n" to as the first thing it does (one write,
/// O_APPEND, so lines never interleave). Read incrementally: only new bytes, only whole lines.
/// </summary>
internal sealed class StartsLog(string path)
{
    private long _offset;
    private readonly StringBuilder _partial = new();
    private readonly Dictionary<int, long> _byPid = [];
    private readonly List<(int Pid, long Ns)> _all = [];

    public string Path { get; } = path;

    /// <summary>Every start read so far, in file order.</summary>
    public IReadOnlyList<(int Pid, long Ns)> All
    {
        get
        {
            Refresh();
            return _all;
        }
    }

    public int Count
    {
        get
        {
            Refresh();
            return _all.Count;
        }
    }

    /// <summary>The recorded start of <paramref name="pid"/> (its latest, should the PID have been reused), if any.</summary>
    public long? StartOf(int pid)
    {
        Refresh();
        return _byPid.TryGetValue(pid, out var ns) ? ns : null;
    }

    /// <summary>Waits (polling the file every millisecond) for <paramref name="pid"/>'s start line.</summary>
    public long? WaitForStart(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (StartOf(pid) is { } ns) return ns;
            if (DateTime.UtcNow > deadline) return null;
            Thread.Sleep(1);
        }
    }

    public void Refresh()
    {
        if (!File.Exists(Path)) return;
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= _offset) return;
        stream.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[stream.Length - _offset];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0) break;
            read += n;
        }
        _offset += read;
        _partial.Append(Encoding.ASCII.GetString(buffer, 0, read));
        var text = _partial.ToString();
        var lastNewline = text.LastIndexOf('\n');
        if (lastNewline < 0) return;
        foreach (var line in text[..lastNewline].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2
                && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ns))
            {
                _byPid[pid] = ns;
                _all.Add((pid, ns));
            }
        }
        _partial.Clear().Append(text[(lastNewline + 1)..]);
    }
}
