using System.Globalization;

namespace ActorSupervisor.Cli.Platform;

/// <summary>What the library's ProcessIdentity does not read from /proc/&lt;pid&gt;/stat: the process group.</summary>
internal static class ProcStat
{
    /// <summary>The process group of a live process, or null when it is gone or unreadable.</summary>
    public static int? ProcessGroup(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // Field 2 (the command name) may contain spaces and ')'; the fields after the last ')' are fixed: state, ppid, pgrp.
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 > stat.Length) return null;
        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pgrp)
            ? pgrp
            : null;
    }
}
