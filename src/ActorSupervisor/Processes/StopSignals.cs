namespace ActorSupervisor.Processes;

/// <summary>The signals a daemon may be asked to stop with (a spec's stop_signal), by name as people write them.</summary>
internal static class StopSignals
{
    // Linux numbers; the same on x86-64 and arm64 for every signal listed.
    private static readonly Dictionary<string, int> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SIGHUP"] = 1, ["SIGINT"] = 2, ["SIGQUIT"] = 3, ["SIGKILL"] = 9, ["SIGUSR1"] = 10, ["SIGUSR2"] = 12,
        ["SIGTERM"] = 15, ["SIGWINCH"] = 28,
    };

    /// <summary>Every accepted name, for messages.</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>SIGTERM for null or empty; "SIGINT" or "INT" (any case) for a name; null if it is not one.</summary>
    public static int? Parse(string? name)
    {
        if (string.IsNullOrEmpty(name)) return Native.SIGTERM;
        var key = name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? name : "SIG" + name;
        return ByName.TryGetValue(key, out var number) ? number : null;
    }
}
