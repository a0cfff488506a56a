using ActorSupervisor.Cli.Commands;
using ActorSupervisor.Control.Logs;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Cli.Live;

/// <summary>
/// `logs`: read the log file directly (the supervisor is not needed to read a file, and a follow keeps working while
/// the supervisor restarts). Which file: the one a running supervisor reports for the daemon, else the one of the
/// session given, else the only session that has a log for that name.
/// </summary>
internal static class DaemonLogs
{
    public static async Task<int> Show(ControlTarget target, string name, int lines, bool follow, CancellationToken ct)
    {
        var path = await Find(target, name, ct);
        var (last, end) = LogTail.Last(path, lines);
        foreach (var line in last) Console.Out.WriteLine(line);
        if (!follow) return ExitCodes.Ok;
        await Console.Out.FlushAsync(ct);
        await LogTail.FollowAsync(path, end, async line =>
        {
            await Console.Out.WriteLineAsync(line);
            await Console.Out.FlushAsync(ct);
        }, ct);
        return ExitCodes.Ok;
    }

    private static async Task<string> Find(ControlTarget target, string name, CancellationToken ct)
    {
        var live = await target.LiveAsync(ct);
        try
        {
            var running = live.SelectMany(l => l.Status.Daemons).Where(d => d.Name == name).ToList();
            if (running.Count == 1 && running[0].LogPath is { } known) return known;
            if (running.Count > 1)
                throw new UsageException($"daemon '{name}' runs in sessions {string.Join(", ", running.Select(d => d.Session))}; pick one with --session");
        }
        finally
        {
            foreach (var l in live) l.Client.Dispose();
        }

        var store = new PidFileStore(target.StateRoot);
        if (target.Session is { } session)
        {
            var path = store.LogPathFor(name, session);
            return File.Exists(path) ? path : throw new InvalidOperationException($"no log for daemon '{name}' of session {session}: {path} does not exist");
        }
        // No supervisor knows it: every session that left a log for this name (file names are the library's).
        var candidates = Directory.Exists(store.LogDir)
            ? Directory.EnumerateFiles(store.LogDir, "*.log")
                .Select(p => (Path: p, Session: SessionOf(store, name, p)))
                .Where(c => c.Session is not null)
                .ToList()
            : [];
        return candidates.Count switch
        {
            1 => candidates[0].Path,
            0 => throw new InvalidOperationException($"no log for daemon '{name}' in {store.LogDir}"),
            _ => throw new UsageException($"daemon '{name}' has logs of sessions {string.Join(", ", candidates.Select(c => c.Session).Order(StringComparer.Ordinal))}; " +
                                          "pick one with --session"),
        };
    }

    /// <summary>The session a log file belongs to if it is <paramref name="name"/>'s (its name is the store's for that pair).</summary>
    private static string? SessionOf(PidFileStore store, string name, string path)
    {
        var file = Path.GetFileNameWithoutExtension(path);
        foreach (var separator in new[] { '-', '@' })
        {
            var prefix = name + separator;
            if (!file.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var session = file[prefix.Length..];
            if (session.Length > 0 && store.LogPathFor(name, session) == path) return session;
        }
        return null;
    }
}
