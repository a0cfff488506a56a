using System.Globalization;

namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>s6: s6-svscan over a scan directory, one s6-supervise per daemon.</summary>
internal sealed class S6 : PeerSupervisor
{
    public override string Name => "s6";

    public override string Settings =>
        "s6-svscan -c MAX SCANDIR; each service's ./run is a symlink to benchdaemon, no ./finish, and a " +
        "notification-fd file (3) with the daemon writing its readiness newline there ($BENCH_NOTIFY_FD=3). Without " +
        "a readiness notice s6-supervise (2.11) waits 1 s before every restart; with one it restarts at once when the " +
        "run was ready for over 1 s. Stop: SIGTERM to s6-svscan, which brings every service down and exits";

    public override string? Missing(Options options) =>
        Which("s6-svscan") is null || Which("s6-supervise") is null ? "s6-svscan/s6-supervise not found (apt-get install s6)" : null;

    public override void Prepare(PeerRun run)
    {
        var scan = Directory.CreateDirectory(Path.Combine(run.Dir, "service")).FullName;
        foreach (var name in run.Names)
        {
            var dir = Directory.CreateDirectory(Path.Combine(scan, name)).FullName;
            File.CreateSymbolicLink(Path.Combine(dir, "run"), run.DaemonPath);
            File.WriteAllText(Path.Combine(dir, "notification-fd"), "3\n");
        }
    }

    public override void Launch(PeerRun run) =>
        run.Root = run.Start(Which("s6-svscan")!,
            ["-c", Math.Max(500, 2 * run.Daemons + 10).ToString(CultureInfo.InvariantCulture), Path.Combine(run.Dir, "service")],
            run.Environment(("BENCH_NOTIFY_FD", "3")), "s6-svscan.out");

    public override IReadOnlyList<int> Roots(PeerRun run) => [run.Root!.Id];

    public override void Stop(PeerRun run) => Native.kill(run.Root!.Id, Native.SIGTERM);
}
