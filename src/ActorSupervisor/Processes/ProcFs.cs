using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;

namespace ActorSupervisor.Processes;

/// <summary>The fields of /proc/&lt;pid&gt;/stat the supervisor uses.</summary>
internal readonly record struct ProcStat(int Pid, char State, int ParentPid, int ProcessGroup, int Session, ulong StartTime)
{
    /// <summary>Dead and waiting to be reaped (or being torn down): it holds a PID but runs nothing.</summary>
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>
    /// A kernel thread (PF_KTHREAD in the flags field, which only the kernel sets): it has no environment, no command
    /// line and no descendants of ours, so scans need not open its files.
    /// </summary>
    public bool IsKernelThread { get; init; }
}

/// <summary>
/// The one reader of /proc. Every entry is treated as untrusted and possibly huge (a command line or an environment
/// can be megabytes; a process can rename itself to anything, parentheses and spaces included), so every read is
/// capped and every parse tolerates garbage by answering null.
/// </summary>
internal static unsafe class ProcFs
{
    /// <summary>A stat line is well under 1 KB; the command name in it is at most 64 bytes.</summary>
    public const int StatLimit = 4096;

    /// <summary>Longer command lines are not compared (a daemon's argv is far shorter); they never match.</summary>
    public const int CommandLineLimit = 128 * 1024;

    public const int EnvironmentLimit = 256 * 1024;

    private const int ChildrenLimit = 1024 * 1024;

    private const uint PF_KTHREAD = 0x00200000;

    /// <summary>The stat fields of a process, or null when it does not exist or its stat cannot be parsed.</summary>
    public static ProcStat? Stat(int pid)
    {
        if (pid <= 0) return null;
        Span<byte> buffer = stackalloc byte[StatLimit];
        var n = ReadInto($"/proc/{pid}/stat", buffer);
        return n <= 0 ? null : ParseStat(pid, buffer[..n]);
    }

    /// <summary>Parses a stat line. Everything after the last ')' has a fixed layout; field 2 (the name) may hold anything.</summary>
    public static ProcStat? ParseStat(int pid, ReadOnlySpan<byte> stat)
    {
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length) return null;
        var rest = stat[(close + 2)..];
        // rest: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        //       priority nice num_threads itrealvalue starttime ...   (fields 3 .. 22)
        var state = (char)rest[0];
        int ppid = 0, pgrp = 0, session = 0;
        uint flags = 0;
        var field = 0;
        foreach (var range in rest.Split((byte)' '))
        {
            var token = rest[range];
            var ok = field switch
            {
                1 => Utf8Parser.TryParse(token, out ppid, out _),
                2 => Utf8Parser.TryParse(token, out pgrp, out _),
                3 => Utf8Parser.TryParse(token, out session, out _),
                6 => Utf8Parser.TryParse(token, out flags, out _),
                _ => true,
            };
            if (!ok) return null;
            if (field == 19)
                return Utf8Parser.TryParse(token, out ulong start, out var used) && used == token.Length
                    ? new ProcStat(pid, state, ppid, pgrp, session, start) { IsKernelThread = (flags & PF_KTHREAD) != 0 }
                    : null;
            field++;
        }
        return null;
    }

    /// <summary>
    /// The argv of a live process, or null when it is gone, a zombie or kernel thread (empty), unreadable, or longer
    /// than <see cref="CommandLineLimit"/>.
    /// </summary>
    public static IReadOnlyList<string>? CommandLine(int pid)
    {
        if (pid <= 0) return null;
        var bytes = ReadCapped($"/proc/{pid}/cmdline", CommandLineLimit, out var tooBig);
        if (bytes is null || tooBig || bytes.Length == 0) return null;
        var span = bytes.AsSpan();
        if (span[^1] == 0) span = span[..^1];
        var parts = new List<string>();
        foreach (var range in span.Split((byte)0)) parts.Add(Encoding.UTF8.GetString(span[range]));
        return parts;
    }

    /// <summary>One variable of a process's initial environment, or null (absent, unreadable, too big, gone).</summary>
    public static string? EnvironmentVariable(int pid, string name) => EnvironmentVariable(pid, name, out _);

    /// <summary>As <see cref="EnvironmentVariable(int,string)"/>; <paramref name="readable"/> tells a missing variable from an unreadable environment.</summary>
    public static string? EnvironmentVariable(int pid, string name, out bool readable)
    {
        readable = false;
        if (pid <= 0) return null;
        var bytes = ReadCapped($"/proc/{pid}/environ", EnvironmentLimit, out var tooBig);
        // Empty: a zombie, a kernel thread, or a process that has not finished its exec yet.
        if (bytes is null || tooBig || bytes.Length == 0) return null;
        readable = true;
        var prefix = Encoding.UTF8.GetBytes(name + "=");
        var span = bytes.AsSpan();
        foreach (var range in span.Split((byte)0))
        {
            var entry = span[range];
            if (entry.StartsWith(prefix)) return Encoding.UTF8.GetString(entry[prefix.Length..]);
        }
        return null;
    }

    /// <summary>The PIDs in /proc now.</summary>
    public static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, out var pid) && pid > 0) yield return pid;
        }
    }

    /// <summary>The children of one thread of a process (those it started, or was handed as a subreaper), from /proc/&lt;pid&gt;/task/&lt;tid&gt;/children.</summary>
    public static IReadOnlyList<int> ThreadChildren(int pid, int tid)
    {
        var children = new List<int>();
        if (pid > 0 && tid > 0) AddChildren($"/proc/{pid}/task/{tid}/children", children);
        return children;
    }

    /// <summary>The children of a process (every thread's), from /proc/&lt;pid&gt;/task/*/children.</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                AddChildren(Path.Combine(task, "children"), children);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return children;
    }

    private static void AddChildren(string path, List<int> children)
    {
        var bytes = ReadCapped(path, ChildrenLimit, out var tooBig);
        if (bytes is not null) ParsePids(bytes, tooBig, children);
    }

    /// <summary>
    /// The pids of a space-separated list. Only whole numbers count: in a list cut at its cap the last one may be a
    /// cut pid (1234 of 12345), and a pid goes on to the kill path, so it is dropped.
    /// </summary>
    internal static void ParsePids(ReadOnlySpan<byte> list, bool cut, List<int> into)
    {
        if (cut) list = list[..(list.LastIndexOf((byte)' ') + 1)];
        foreach (var range in list.Split((byte)' '))
        {
            var token = list[range];
            if (Utf8Parser.TryParse(token, out int pid, out var used) && used == token.Length && pid > 0) into.Add(pid);
        }
    }

    /// <summary>sysconf(_SC_CLK_TCK): the unit of start times in /proc.</summary>
    public static long ClockTicksPerSecond { get; } = Native.sysconf(Native._SC_CLK_TCK) is > 0 and var t ? t : 100;

    /// <summary>CLOCK_BOOTTIME: the time since boot that start times (field 22) count, in their clock ticks.</summary>
    public static ulong? TicksSinceBoot() =>
        SinceBoot() is { } t ? (ulong)(t.TotalSeconds * ClockTicksPerSecond) : null;

    private static TimeSpan? SinceBoot()
    {
        var ts = stackalloc long[2];
        if (Native.clock_gettime(Native.CLOCK_BOOTTIME, ts) != 0) return null;
        return TimeSpan.FromSeconds(ts[0]) + TimeSpan.FromTicks(ts[1] / 100);
    }

    /// <summary>
    /// When a process that started at <paramref name="startTicks"/> (field 22) started, by the wall clock. Computed from
    /// CLOCK_BOOTTIME, the clock start times are counted on, so the answer is good to a clock tick (10 ms); /proc/stat's
    /// btime is whole seconds and moves with clock adjustments.
    /// </summary>
    public static DateTimeOffset? WallClock(ulong startTicks)
    {
        if (SinceBoot() is not { } sinceBoot) return null;
        var startedAfterBoot = TimeSpan.FromSeconds(startTicks / (double)ClockTicksPerSecond);
        return DateTimeOffset.UtcNow - (sinceBoot - startedAfterBoot);
    }

    /// <summary>Reads up to <paramref name="cap"/> bytes; <paramref name="tooBig"/> when there was more. Null when unreadable.</summary>
    public static byte[]? ReadCapped(string path, int cap, out bool tooBig)
    {
        tooBig = false;
        var fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) return null;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(cap + 1, 64 * 1024));
        try
        {
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > cap) break;
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(cap + 1, buffer.Length * 4));
                    buffer.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                nint n;
                fixed (byte* p = &buffer[total]) n = Native.read(fd, p, buffer.Length - total);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Native.EINTR) continue;
                    return null;
                }
                if (n == 0) break;
                total += (int)n;
                if (total > cap) break;
            }
            tooBig = total > cap;
            return buffer.AsSpan(0, Math.Min(total, cap)).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Native.close(fd);
        }
    }

    private static int ReadInto(string path, Span<byte> buffer)
    {
        var fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) return -1;
        try
        {
            var total = 0;
            while (total < buffer.Length)
            {
                nint n;
                fixed (byte* p = buffer[total..]) n = Native.read(fd, p, buffer.Length - total);
                if (n < 0 && Marshal.GetLastPInvokeError() == Native.EINTR) continue;
                if (n <= 0) break;
                total += (int)n;
            }
            return total;
        }
        finally
        {
            Native.close(fd);
        }
    }
}
