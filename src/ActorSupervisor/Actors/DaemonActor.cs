using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Actors;

/// <summary>
/// One incarnation of one daemon: one OS process, from launch to exit. Its behaviours follow
/// <see cref="DaemonState"/>: Starting (launched, not yet proved healthy), Running, Stopping. When the run fails
/// (the process exits unasked, health fails past the threshold, or it never becomes healthy) the actor kills what is
/// left of the process group and stops itself; the BackoffSupervisor above it starts the next incarnation after the
/// backoff delay, or gives up after MaxRestarts.
/// </summary>
public sealed class DaemonActor : ReceiveActor, IWithTimers, IWithStash
{
    private sealed class HealthTick
    {
        public static readonly HealthTick Instance = new();
    }

    private sealed class StartupTimedOut
    {
        public static readonly StartupTimedOut Instance = new();
    }

    /// <summary>A daemon without a health check has stayed up long enough to count as running.</summary>
    private sealed class Settled
    {
        public static readonly Settled Instance = new();
    }

    private sealed class StablePeriodReached
    {
        public static readonly StablePeriodReached Instance = new();
    }

    private sealed class LogCheck
    {
        public static readonly LogCheck Instance = new();
    }

    private sealed class LogRotated
    {
        public static readonly LogRotated Instance = new();
    }

    internal sealed record ProcessExited(long Generation, ProcessExit Exit);
    internal sealed record ProbeCompleted(long Generation, ProbeResult Outcome);
    internal sealed record ProcessStopped(long Generation);
    private sealed record SpawnCompleted(long Generation, DaemonProcess? Process, Exception? Error);

    private readonly DaemonSpec _spec;
    private readonly SupervisorConfig _config;
    private readonly IActorRef _session;
    private readonly PidFileStore _store;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private long _generation = -1;
    private int _port;
    private DaemonProcess? _process;
    private bool _probeInFlight;
    private int _failedProbes;
    private string? _lastProbeError;
    private bool _rotating;
    private FailureRecord? _failure;
    private bool _pidFileRemoved;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public DaemonActor(DaemonSpec spec, SupervisorConfig config, IActorRef session, PidFileStore store)
    {
        _spec = spec;
        _config = config;
        _session = session;
        _store = store;
        AwaitingLaunch();
    }

    public static Props Props(DaemonSpec spec, SupervisorConfig config, IActorRef session, PidFileStore store) =>
        Akka.Actor.Props.Create(() => new DaemonActor(spec, config, session, store));

    private string Name => _spec.Name;
    private string LogPath => _store.LogPathFor(Name, _config.SessionId);

    protected override void PreStart() => _session.Tell(new DaemonProtocol.IncarnationReady(Name));

    /// <summary>
    /// An incarnation that is torn down without a graceful stop (its supervisor stopped, the ActorSystem shut down)
    /// must not leave its process behind: nothing else would ever stop it.
    /// </summary>
    protected override void PostStop()
    {
        if (_process is { HasExited: false } || _process?.GroupHasMembers() == true)
        {
            _log.Warning("{0}: torn down with its process still running; killing process group {1}", Name, _process.ProcessGroup);
            _process.Kill();
        }
        if (_process is not null) RemovePidFile();
    }

    // Starting, before a process exists: waiting for the session to assign a generation and a port.
    private void AwaitingLaunch()
    {
        Receive<DaemonProtocol.Launch>(Launch);
        Receive<DaemonProtocol.Stop>(_ => Context.Stop(Self));
    }

    private void Launch(DaemonProtocol.Launch launch)
    {
        _generation = launch.Generation;
        _port = launch.Port;
        if (launch.PortError is { } portError)
        {
            FailWithoutProcess(portError, cannotLaunch: true);
            return;
        }

        if (launch.Adopt is { } adopt)
        {
            var adopted = DaemonProcess.Adopt(adopt.Identity!.Value, adopt.ProcessGroup ?? adopt.Pid, adopt.StartedAt, adopt.LaunchId, adopt.Argv, adopt.Executable);
            if (adopted is not null)
            {
                _port = adopt.Port;
                Spawned(adopted);
                return;
            }
            // It died between the session's check and ours: start fresh, as with any stale PID file.
            _store.Remove(Name, _config.SessionId, adopt.Pid);
        }

        if (LogFile.NeedsRotation(LogPath, _config.LogMaxBytes)) LogFile.Rotate(LogPath, _config.LogKeep);
        var request = new LaunchRequest
        {
            Argv = _spec.Argv(_port),
            WorkDir = WorkDir,
            LogPath = LogPath,
            Environment = DaemonEnvironment(),
            Ephemeral = _spec.Lifetime == DaemonLifetime.Ephemeral,
            Tag = _store.NewLaunch(Name, _config.SessionId),
        };
        if (request.Ephemeral)
        {
            // Spawned on a thread of its own (for its parent-death signal); the answer comes back as a message.
            var generation = _generation;
            DaemonProcess.LaunchEphemeralAsync(request).PipeTo(Self, success: p => new SpawnCompleted(generation, p, null),
                failure: e => new SpawnCompleted(generation, null, e is AggregateException a ? a.InnerException ?? e : e));
            Become(Spawning);
            return;
        }
        DaemonProcess process;
        try
        {
            process = DaemonProcess.Launch(request); // posix_spawn: well under a millisecond
        }
        catch (DaemonLaunchException e)
        {
            FailWithoutProcess(e.Message, cannotLaunch: true);
            return;
        }
        Spawned(process);
    }

    private void Spawning()
    {
        Receive<SpawnCompleted>(s => s.Generation == _generation, s =>
        {
            Stash.UnstashAll();
            if (s.Process is { } process) Spawned(process);
            else FailWithoutProcess(s.Error!.Message, cannotLaunch: s.Error is DaemonLaunchException);
        });
        // A stop asked for in the meantime is handled once the process exists.
        Receive<DaemonProtocol.Stop>(_ => Stash.Stash());
    }

    /// <summary>A process exists (launched or adopted): record it, watch it, and start proving it healthy.</summary>
    private void Spawned(DaemonProcess process)
    {
        _process = process;
        try
        {
            WritePidFile(); // for an adopted daemon, this records the new owner
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _process.Kill();
            FailWithoutProcess($"cannot write PID file: {e.Message}", cannotLaunch: false);
            return;
        }

        var generation = _generation;
        _process.Exit.PipeTo(Self, success: exit => new ProcessExited(generation, exit));
        _log.Info("{0}: {1} started (generation {2}, port {3})", Name, _process, generation, _port);

        Become(Starting);
        if (_spec.HasHealthCheck)
        {
            Timers.StartSingleTimer(StartupTimedOut.Instance, StartupTimedOut.Instance, _config.StartupTimeout);
            Probe();
            Timers.StartPeriodicTimer(HealthTick.Instance, HealthTick.Instance, StartupProbeInterval);
        }
        else
        {
            Timers.StartSingleTimer(Settled.Instance, Settled.Instance, _config.SettleTime);
            // A daemon with a probe checks its log on each health tick; one without gets a tick of its own.
            Timers.StartPeriodicTimer(LogCheck.Instance, LogCheck.Instance, _config.HealthInterval);
        }
        // Reported last, so whoever sees the launch also sees this incarnation's timers already armed.
        _session.Tell(new DaemonProtocol.Launched(Name, generation, _process.Pid, _port, _process.StartedAt, LogPath,
            Adopted: !_process.IsChild));
    }

    /// <summary>While starting, probe more often than the health interval, so "healthy" is seen soon after it is true.</summary>
    private TimeSpan StartupProbeInterval =>
        _config.StartupProbeInterval < _config.HealthInterval ? _config.StartupProbeInterval : _config.HealthInterval;

    private void Starting()
    {
        Receive<HealthTick>(_ => Probe());
        Receive<ProbeCompleted>(p => p.Generation == _generation, p =>
        {
            _probeInFlight = false;
            if (p.Outcome.Healthy) BecomeRunning();
            else _lastProbeError = p.Outcome.Error; // expected while the daemon boots; only the startup timeout counts
        });
        Receive<Settled>(_ => BecomeRunning());
        Receive<StartupTimedOut>(_ => FailRun(new FailureRecord
        {
            Reason = $"not healthy within the startup timeout of {_config.StartupTimeout.TotalSeconds:0.###} s",
            ProbeError = _lastProbeError,
        }));
        CommonWhileUp();
    }

    private void Running()
    {
        Receive<HealthTick>(_ =>
        {
            Probe();
            RotateLogIfNeeded();
        });
        Receive<ProbeCompleted>(p => p.Generation == _generation, p =>
        {
            _probeInFlight = false;
            if (p.Outcome.Healthy)
            {
                _failedProbes = 0;
                _lastProbeError = null;
                _session.Tell(new DaemonProtocol.HealthOk(Name, _generation, DateTimeOffset.UtcNow));
                return;
            }
            _failedProbes++;
            _lastProbeError = p.Outcome.Error;
            _log.Warning("{0}: health probe failed ({1} of {2}): {3}", Name, _failedProbes, _config.FailureThreshold, p.Outcome.Error);
            if (_failedProbes >= _config.FailureThreshold)
                FailRun(new FailureRecord
                {
                    Reason = $"health check failed {_failedProbes} times in a row",
                    ProbeError = p.Outcome.Error,
                });
        });
        Receive<StablePeriodReached>(_ =>
        {
            // Manual reset: only a run that proved itself stable clears the BackoffSupervisor's retry count.
            Context.Parent.Tell(BackoffSupervisor.Reset.Instance);
            _session.Tell(new DaemonProtocol.StableRun(Name, _generation));
        });
        CommonWhileUp();
    }

    private void CommonWhileUp()
    {
        Receive<ProcessExited>(e => e.Generation == _generation, e => FailRun(new FailureRecord
        {
            Reason = "exited unexpectedly" + e.Exit.DetachedNote,
            ExitCode = e.Exit.ExitCode,
            Signal = e.Exit.Signal,
            ProbeError = _lastProbeError,
        }));
        Receive<DaemonProtocol.Stop>(_ => BeginStop());
        Receive<LogCheck>(_ => RotateLogIfNeeded());
        Receive<LogRotated>(_ => _rotating = false);
        // Late results of an earlier generation, and ticks that raced a transition, change nothing.
        Receive<ProcessExited>(_ => { });
        Receive<ProbeCompleted>(_ => { });
        Receive<Settled>(_ => { });
        Receive<StartupTimedOut>(_ => { });
        Receive<StablePeriodReached>(_ => { });
    }

    private void Stopping()
    {
        Receive<ProcessStopped>(s => s.Generation == _generation, _ =>
        {
            RemovePidFile();
            Context.Stop(Self);
        });
        // Already on the way down; a stop request only confirms it (the BackoffSupervisor remembers it as final).
        Receive<DaemonProtocol.Stop>(_ => { });
        ReceiveAny(_ => { });
    }

    private void BecomeRunning()
    {
        var now = DateTimeOffset.UtcNow;
        _failedProbes = 0;
        _lastProbeError = null; // errors from before it was healthy say nothing about why it fails later
        Timers.Cancel(StartupTimedOut.Instance);
        Timers.Cancel(Settled.Instance);
        if (_spec.HasHealthCheck) Timers.StartPeriodicTimer(HealthTick.Instance, HealthTick.Instance, _config.HealthInterval);
        Timers.StartSingleTimer(StablePeriodReached.Instance, StablePeriodReached.Instance, _config.StablePeriod);
        _session.Tell(new DaemonProtocol.BecameRunning(Name, _generation, now));
        Become(Running);
    }

    private void BeginStop()
    {
        _session.Tell(new DaemonProtocol.Stopping(Name, _generation));
        StopProcess();
    }

    private void FailRun(FailureRecord failure)
    {
        _failure = failure with { At = DateTimeOffset.UtcNow, LogTail = LogFile.Tail(LogPath) };
        _log.Warning("{0}: run failed: {1}", Name, _failure);
        _session.Tell(new DaemonProtocol.RunFailed(Name, _generation, _failure, CannotLaunch: false));
        if (_process!.HasExited)
        {
            // The leader is gone; anything left in its group (grandchildren) goes now, so the next run starts clean.
            _process.Kill();
            RemovePidFile();
            Context.Stop(Self);
            return;
        }
        StopProcess();
    }

    private void FailWithoutProcess(string reason, bool cannotLaunch)
    {
        _failure = new FailureRecord { Reason = reason, At = DateTimeOffset.UtcNow };
        _log.Error("{0}: cannot launch: {1}", Name, reason);
        _session.Tell(new DaemonProtocol.RunFailed(Name, _generation, _failure, cannotLaunch));
        Context.Stop(Self);
    }

    private void StopProcess()
    {
        Timers.CancelAll();
        var generation = _generation;
        _process!.StopAsync(_config.StopGrace).PipeTo(Self,
            success: _ => new ProcessStopped(generation),
            failure: _ => new ProcessStopped(generation));
        Become(Stopping);
    }

    private void Probe()
    {
        if (_probeInFlight || _process is null) return;
        _probeInFlight = true;
        var generation = _generation;
        ProbeOnce().PipeTo(Self,
            success: result => new ProbeCompleted(generation, result),
            failure: e => new ProbeCompleted(generation, ProbeResult.Fail(e.Message)));
    }

    private Task<ProbeResult> ProbeOnce()
    {
        if (_spec.ResolveHealthUrl(_port) is { } url) return HttpProbe.CheckAsync(url, _config.ProbeTimeout);
        return CommandProbe.CheckAsync(_spec.HealthCmd!, WorkDir, DaemonEnvironment(), _config.ProbeTimeout);
    }

    private void RotateLogIfNeeded()
    {
        if (_rotating || !LogFile.NeedsRotation(LogPath, _config.LogMaxBytes)) return;
        _rotating = true;
        var path = LogPath;
        var keep = _config.LogKeep;
        // Copying up to LogMaxBytes is slow enough to keep off the actor's thread.
        Task.Run(() => LogFile.Rotate(path, keep)).PipeTo(Self,
            success: () => LogRotated.Instance,
            failure: _ => LogRotated.Instance);
    }

    private string WorkDir => string.IsNullOrEmpty(_spec.WorkDir) ? _config.ProjectDir : _spec.WorkDir;

    private List<KeyValuePair<string, string>> DaemonEnvironment()
    {
        var env = new List<KeyValuePair<string, string>>(_spec.Env.Count + 1);
        if (_port > 0) env.Add(new("PORT", _port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var entry in _spec.Env)
        {
            var eq = entry.IndexOf('=');
            env.Add(new(entry[..eq], entry[(eq + 1)..]));
        }
        return env;
    }

    private void WritePidFile()
    {
        var self = ProcessIdentity.Self;
        _store.Write(Name, new PidFileInfo
        {
            Pid = _process!.Pid,
            Port = _port,
            OwnerId = _config.SessionId,
            Command = _spec.Command,
            StartedAt = _process.StartedAt,
            Name = Name,
            Args = _spec.Args.ToArray(),
            ProcessStartTime = _process.Identity.StartTime,
            ProcessGroup = _process.ProcessGroup,
            SupervisorPid = self.Pid,
            SupervisorStartTime = self.StartTime,
            LogPath = LogPath,
            Lifetime = _spec.Lifetime == DaemonLifetime.Ephemeral ? "ephemeral" : "persistent",
            HealthUrl = _spec.ResolveHealthUrl(_port)?.ToString(),
            LaunchId = _process.LaunchId, Argv = _process.Argv, Executable = _process.Executable,
        });
    }

    /// <summary>
    /// Once per incarnation. The file needs no reading first: this supervisor holds the daemon's lock, so nobody else
    /// writes it. A restart waits for this, so it is one unlink.
    /// </summary>
    private void RemovePidFile()
    {
        if (_process is null || _pidFileRemoved) return;
        _pidFileRemoved = true;
        try { _store.Delete(Name, _config.SessionId); }
        catch (IOException e) { _log.Warning("{0}: could not remove PID file: {1}", Name, e.Message); }
    }
}
