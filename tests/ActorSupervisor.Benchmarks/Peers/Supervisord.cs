using System.Globalization;
using System.Text;

namespace ActorSupervisor.Benchmarks.Peers;

/// <summary>supervisord (Debian's `supervisor`), in the foreground, one [program] per daemon.</summary>
internal sealed class Supervisord : PeerSupervisor
{
    public override string Name => "supervisord";

    public override string Settings =>
        "supervisord -n -c FILE; per program: autorestart=true, startsecs=0 (running at once, so no start-retry " +
        "backoff), startretries=1000000, stopsignal=TERM, stopwaitsecs=2, stdout to a log file per daemon " +
        "(redirect_stderr=true); all programs in one [group] (separate groups are stopped one after another); " +
        "minfds and minprocs raised for N. Its restart delay is its main loop's 1 s poll, which no setting changes";

    public override string? Missing(Options options) =>
        Which("supervisord") is null ? "supervisord not found (apt-get install supervisor)" : null;

    public override void Prepare(PeerRun run)
    {
        var logs = Directory.CreateDirectory(Path.Combine(run.Dir, "logs")).FullName;
        var conf = new StringBuilder();
        conf.AppendLine(CultureInfo.InvariantCulture, $"""
            [supervisord]
            nodaemon=true
            logfile={run.Dir}/supervisord.log
            pidfile={run.Dir}/supervisord.pid
            childlogdir={logs}
            loglevel=warn
            minfds={4 * run.Daemons + 256}
            minprocs={run.Daemons + 256}

            """);
        foreach (var name in run.Names)
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"""
                [program:{name}]
                command={run.DaemonPath}
                autostart=true
                autorestart=true
                startsecs=0
                startretries=1000000
                stopsignal=TERM
                stopwaitsecs=2
                redirect_stderr=true
                stdout_logfile={logs}/{name}.log

                """);
        }
        // One group: supervisord stops a group's processes together, but stops separate groups one after another (a
        // loop turn each), which at N=200 takes seconds.
        conf.AppendLine(CultureInfo.InvariantCulture, $"[group:bench]\nprograms={string.Join(',', run.Names)}");
        File.WriteAllText(Path.Combine(run.Dir, "supervisord.conf"), conf.ToString());
    }

    public override void Launch(PeerRun run) =>
        run.Root = run.Start(Which("supervisord")!, ["-n", "-c", Path.Combine(run.Dir, "supervisord.conf")], run.Environment(), "supervisord.out");

    public override IReadOnlyList<int> Roots(PeerRun run) => [run.Root!.Id];

    public override void Stop(PeerRun run) => Native.kill(run.Root!.Id, Native.SIGTERM);
}
