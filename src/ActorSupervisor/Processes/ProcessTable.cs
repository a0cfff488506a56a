namespace ActorSupervisor.Processes;

/// <summary>Questions about all processes, answered from /proc.</summary>
public static class ProcessTable
{
    /// <summary>True if a process that is not a zombie has process group <paramref name="pgid"/>.</summary>
    public static bool GroupHasLiveMembers(int pgid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // After the command's closing parenthesis: state, ppid, pgrp, ...
            var rest = stat.AsSpan(stat.LastIndexOf(')') + 2);
            if (rest.Length == 0 || rest[0] is 'Z' or 'X') continue;
            var fields = rest.ToString().Split(' ', 4);
            if (fields.Length >= 3 && int.TryParse(fields[2], out var group) && group == pgid) return true;
        }
        return false;
    }
}
