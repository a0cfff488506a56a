using System.Text;

namespace ActorSupervisor.Tests.Support;

/// <summary>Reads /proc to find processes by an environment variable, the way the leak check needs.</summary>
public static class ProcessScan
{
    public static IReadOnlyList<int> WithEnvironment(string variable, string value)
    {
        var needle = Encoding.UTF8.GetBytes($"{variable}={value}\0");
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == System.Environment.ProcessId) continue;
            try
            {
                if (IsZombie(pid)) continue;
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(needle) >= 0) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    public static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException) { return true; }
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    public static IReadOnlyList<string> CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0'); }
        catch (IOException) { return []; }
    }

    /// <summary>The process's environment, as it was when it started.</summary>
    public static IReadOnlyDictionary<string, string> Environment(int pid)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) result[entry[..eq]] = entry[(eq + 1)..];
        }
        return result;
    }
}
