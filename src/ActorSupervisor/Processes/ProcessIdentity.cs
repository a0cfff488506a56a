using System.Globalization;

namespace ActorSupervisor.Processes;

/// <summary>
/// Who a process is. A PID alone is not an identity (the kernel reuses them), so it is paired with the process's
/// start time in clock ticks since boot (field 22 of /proc/&lt;pid&gt;/stat), which a reused PID cannot share.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    /// <summary>The identity of the live process with this PID now, or null if there is none (or it is a zombie).</summary>
    public static ProcessIdentity? Of(int pid)
    {
        if (pid <= 0) return null;
        var stat = ReadStat(pid);
        if (stat is null) return null;
        // The command name in field 2 may hold spaces and parentheses; everything after the last ')' is fixed.
        var close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); field 22 is fields[19].
        if (fields.Length < 20) return null;
        if (fields[0] is "Z" or "X") return null;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? new ProcessIdentity(pid, start)
            : null;
    }

    /// <summary>True when a live process with this PID exists and it is this very process.</summary>
    public bool IsAlive => Of(Pid) is { } now && now.StartTime == StartTime;

    /// <summary>The process's argv from /proc, or null when it is gone or unreadable.</summary>
    public static IReadOnlyList<string>? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            if (raw.Length == 0) return null;
            var text = System.Text.Encoding.UTF8.GetString(raw).TrimEnd('\0');
            return text.Split('\0');
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Boot-relative start ticks to wall-clock time (for display; identity compares ticks).</summary>
    public DateTimeOffset? StartedAtWallClock()
    {
        try
        {
            var btime = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("btime ", StringComparison.Ordinal));
            if (btime is null) return null;
            var boot = long.Parse(btime.AsSpan(6), CultureInfo.InvariantCulture);
            return DateTimeOffset.FromUnixTimeSeconds(boot).AddSeconds(StartTime / (double)ClockTicksPerSecond);
        }
        catch (IOException) { return null; }
    }

    // sysconf(_SC_CLK_TCK) is 100 on every Linux build that matters.
    private const int ClockTicksPerSecond = 100;

    private static string? ReadStat(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The supervisor process's own identity, recorded in PID files as their owner.</summary>
    public static ProcessIdentity Self { get; } = Of(Environment.ProcessId) ?? new ProcessIdentity(Environment.ProcessId, 0);
}
