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

    public static async Task<Outcome> StopAsync(string stateRoot, string? name, bool all, string? session, CancellationToken ct = default)
    {
        var live = await ControlClient.DiscoverAsync(stateRoot, session, ct);
        try
        {
            var work = live.SelectMany(l => l.Status.Daemons
                    .Where(d => all ? d.State is not ("stopped" or "failed") : d.Name == name)
                    .Select(d => (l.Client, Daemon: d)))
                .ToList();
            var results = await Task.WhenAll(work.Select(async w =>
            {
                try
                {
                    var after = await LiveCommands.Stop(w.Client, w.Daemon.Name, ct);
                    Console.WriteLine($"{after.Name} (session {after.Session}, pid {w.Daemon.Pid}): stopped by its supervisor");
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
}
