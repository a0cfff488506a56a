namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>runit: runsvdir over a scan directory, one runsv per daemon.</summary>
internal sealed class Runit : PeerSupervisor
{
    public override string Name => "runit";

    public override string Settings =>
        "runsvdir -P SCANDIR; each service's ./run is a symlink to benchdaemon itself (no shell, no chpst: runsv " +
        "execs the daemon directly), no ./finish, no log service. runsv restarts at once unless the run lasted under " +
        "1 s (the victims have run longer). Stop: SIGHUP to runsvdir, which sends TERM to every runsv (each stops " +
        "its daemon and exits)";

    public override string? Missing(Options options) =>
        Which("runsvdir") is null || Which("runsv") is null ? "runsvdir/runsv not found (apt-get install runit)" : null;

    public override void Prepare(PeerRun run)
    {
        if (run.Daemons > 1000) throw new BenchmarkFailure("runit: runsvdir supervises at most 1000 services");
        var scan = Directory.CreateDirectory(Path.Combine(run.Dir, "service")).FullName;
        foreach (var name in run.Names)
        {
            var dir = Directory.CreateDirectory(Path.Combine(scan, name)).FullName;
            File.CreateSymbolicLink(Path.Combine(dir, "run"), run.DaemonPath);
        }
    }

    public override void Launch(PeerRun run) =>
        run.Root = run.Start(Which("runsvdir")!, ["-P", Path.Combine(run.Dir, "service")], run.Environment(), "runsvdir.out");

    public override IReadOnlyList<int> Roots(PeerRun run) => [run.Root!.Id];

    public override void Stop(PeerRun run) => Native.kill(run.Root!.Id, Native.SIGHUP);
}
