using System.Globalization;
using System.Text;

namespace ActorSupervisor.Benchmarks;

/// <summary>What the benchmark reads about other processes, all from /proc.</summary>
internal static class ProcFs
{
    /// <summary>sysconf(_SC_CLK_TCK): 100 on every Linux build that matters.</summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>The fields of /proc/&lt;pid&gt;/stat after the command name; [0] is field 3 (state). Null if gone.</summary>
    public static string[]? StatFields(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length ? null : stat[(close + 2)..].Split(' ');
    }

    /// <summary>A process that exists and is not a zombie (state Z or X).</summary>
    public static bool IsLive(int pid) => StatFields(pid) is { } f && f[0] is not ("Z" or "X");

    /// <summary>Field 22, the start time in clock ticks since boot: with the PID, a process's identity.</summary>
    public static ulong? StartTime(int pid) =>
        StatFields(pid) is { Length: > 19 } f && ulong.TryParse(f[19], CultureInfo.InvariantCulture, out var t) ? t : null;

    /// <summary>utime + stime (fields 14 and 15) in clock ticks: the CPU the process has used.</summary>
    public static long? CpuTicks(int pid) =>
        StatFields(pid) is { Length: > 12 } f
        && long.TryParse(f[11], CultureInfo.InvariantCulture, out var u)
        && long.TryParse(f[12], CultureInfo.InvariantCulture, out var s)
            ? u + s
            : null;

    /// <summary>All CPUs' busy (everything but idle and iowait) and total clock ticks since boot, from /proc/stat.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = f.Take(8).Sum(); // user nice system idle iowait irq softirq steal (guest is within user)
        return (total - f[3] - f[4], total);
    }

    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    /// <summary>Proportional set size in kB from /proc/&lt;pid&gt;/smaps_rollup.</summary>
    public static long? PssKb(int pid) => KbField($"/proc/{pid}/smaps_rollup", "Pss:");

    /// <summary>
    /// Unique set size in kB: Private_Clean + Private_Dirty (+ Private_Hugetlb) of smaps_rollup, the memory that would be
    /// freed if the process went. Unlike PSS it does not depend on which other processes map the same files.
    /// </summary>
    public static long? UssKb(int pid) =>
        KbField($"/proc/{pid}/smaps_rollup", "Private_Clean:") + KbField($"/proc/{pid}/smaps_rollup", "Private_Dirty:")
        + (KbField($"/proc/{pid}/smaps_rollup", "Private_Hugetlb:") ?? 0);

    /// <summary>Resident set size in kB (VmRSS).</summary>
    public static long? RssKb(int pid) => KbField($"/proc/{pid}/status", "VmRSS:");

    public static long? Threads(int pid) => KbField($"/proc/{pid}/status", "Threads:");

    public static int? OpenFds(int pid)
    {
        try { return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static long? KbField(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var value = line.AsSpan(key.Length).Trim();
                var space = value.IndexOf(' ');
                if (space > 0) value = value[..space];
                return long.TryParse(value, CultureInfo.InvariantCulture, out var kb) ? kb : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>
    /// Every live (non-zombie) process whose environment holds <c>BENCH_TAG=&lt;tag&gt;</c>. Every daemon of a run,
    /// the supervisor's and the floor's, carries the run's tag, so this finds whatever a run left behind, also
    /// processes whose PIDs the benchmark never learned. A zombie's environment reads empty, so zombies never match.
    /// </summary>
    public static List<int> TaggedProcesses(string tag)
    {
        var needle = Encoding.ASCII.GetBytes($"BENCH_TAG={tag}\0");
        var found = new List<int>();
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self) continue;
            byte[] env;
            try { env = File.ReadAllBytes(Path.Combine(dir, "environ")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (ContainsVariable(env, needle) && IsLive(pid)) found.Add(pid);
        }
        return found;
    }

    /// <summary>Live (non-zombie) processes whose executable is <paramref name="exe"/> (by /proc/&lt;pid&gt;/exe).</summary>
    public static List<int> ProcessesRunning(string exe)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string? target;
            try { target = new FileInfo(Path.Combine(dir, "exe")).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (target == exe && IsLive(pid)) found.Add(pid);
        }
        return found;
    }

    /// <summary>Field 4: the parent PID.</summary>
    public static int? ParentPid(int pid) =>
        StatFields(pid) is { Length: > 1 } f && int.TryParse(f[1], CultureInfo.InvariantCulture, out var p) ? p : null;

    /// <summary><paramref name="roots"/> and every live descendant of them, from one pass over /proc.</summary>
    public static List<int> ProcessTree(IEnumerable<int> roots)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (StatFields(pid) is not { Length: > 1 } f || f[0] is "Z" or "X") continue;
            if (!int.TryParse(f[1], CultureInfo.InvariantCulture, out var ppid)) continue;
            if (!children.TryGetValue(ppid, out var list)) children[ppid] = list = [];
            list.Add(pid);
        }
        var tree = new List<int>();
        var queue = new Queue<int>(roots.Where(IsLive));
        var seen = new HashSet<int>();
        while (queue.TryDequeue(out var pid))
        {
            if (!seen.Add(pid)) continue;
            tree.Add(pid);
            if (children.TryGetValue(pid, out var kids)) foreach (var k in kids) queue.Enqueue(k);
        }
        return tree;
    }

    private static bool ContainsVariable(ReadOnlySpan<byte> env, ReadOnlySpan<byte> needle)
    {
        // Either the first variable or one that follows a NUL: "XBENCH_TAG=..." is not ours.
        for (var at = env.IndexOf(needle); at >= 0;)
        {
            if (at == 0 || env[at - 1] == 0) return true;
            var next = env[(at + 1)..].IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    /// <summary>
    /// TCP sockets by state among those whose remote port is one of <paramref name="ports"/> (the supervisor's side of
    /// its probe connections): ESTABLISHED (01) shows reused keep-alive connections, TIME_WAIT (06) churn.
    /// </summary>
    public static (int Established, int TimeWait) ClientSockets(IReadOnlySet<int> ports)
    {
        int established = 0, timeWait = 0;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 4) continue;
                var remote = f[2];
                var colon = remote.LastIndexOf(':');
                if (colon < 0 || !int.TryParse(remote.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port)
                    || !ports.Contains(port)) continue;
                if (f[3] == "01") established++;
                else if (f[3] == "06") timeWait++;
            }
        }
        return (established, timeWait);
    }
}
