using ActorSupervisor.Control.Transport;

namespace ActorSupervisor.Cli.Live;

/// <summary>
/// `stop` through running supervisors: a daemon whose supervisor answers is stopped by it, for good (no restart, no
/// --force needed); `stop` then goes on with the PID files, which are left with orphans and stale files only.
/// </summary>
internal static class LiveStop
{
    public sealed record Outcome(int Stopped, bool Failed)
    {
        public bool Any => Stopped > 0 || Failed;
        public int ExitCode => Failed ? ExitCodes.Failure : ExitCodes.Ok;
    }

    public static async Task<Outcome> StopAsync(string stateRoot, string? name, bool all, string? session, CancellationToken ct = default,
        bool withDependents = false)
    {
        var live = await ControlClient.DiscoverAsync(stateRoot, session, ct);
        try
        {
            var work = live.SelectMany(l => l.Status.Daemons
                    .Where(d => all ? d.State is not ("stopped" or "failed") : d.Name == name)
                    .Select(d => (l.Client, Daemon: d, Affected: all ? [] : Dependents(l.Status.Daemons, d.Name))))
                .ToList();
            var results = await Task.WhenAll(work.Select(async w =>
            {
                try
                {
                    var after = await LiveCommands.Stop(w.Client, w.Daemon.Name, ct, withDependents);
                    Console.WriteLine($"{after.Name} (session {after.Session}, pid {w.Daemon.Pid}): stopped by its supervisor" +
                                      (withDependents && w.Affected.Count > 0 ? $", after its dependents {string.Join(", ", w.Affected)}" : ""));
                    if (!withDependents && w.Affected.Count > 0)
                        Console.Error.WriteLine($"actorsupervisor: {after.Name}: still running and depending on it: " +
                                                $"{string.Join(", ", w.Affected)} (stop them too with --with-dependents)");
                    return true;
                }
                catch (Exception e) when (e is ControlException or HttpRequestException or IOException)
                {
                    Console.Error.WriteLine($"actorsupervisor: {w.Daemon.Name} (session {w.Daemon.Session}): not stopped: {e.Message}");
                    return false;
                }
            }));
            return new Outcome(results.Count(r => r), results.Any(r => !r));
        }
        finally
        {
            foreach (var l in live) l.Client.Dispose();
        }
    }

    /// <summary>The running daemons that depend on <paramref name="name"/>, directly or through others.</summary>
    private static List<string> Dependents(IReadOnlyList<Control.Model.DaemonView> daemons, string name)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var frontier = new Queue<string>([name]);
        while (frontier.TryDequeue(out var current))
            foreach (var d in daemons)
                if (d.Name != name && d.State is not ("stopped" or "failed") && d.DependsOn.Contains(current) && found.Add(d.Name))
                    frontier.Enqueue(d.Name);
        return found.ToList();
    }
}
