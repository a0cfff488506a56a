using Akka.Actor;
using Akka.Pattern;
using ActorSupervisor.Daemons;
using ActorSupervisor.Health;
using ActorSupervisor.Lifecycle;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Actors;

/// <summary>
/// One generation of one daemon: one OS process, from launch to exit. Its behaviours are the daemon's
/// <see cref="DaemonState"/> while the generation exists: Starting (waiting for its launch, then launched but not yet
/// proved healthy), Running, Stopping, Restarting (a failed run handing over: what is left of the process group is
/// killed, then the actor stops and the BackoffSupervisor above starts the next generation after the backoff delay),
/// and the final Stopped and Failed, in which the actor stays, without a process, until the session removes it.
/// </summary>
internal sealed class DaemonActor : ReceiveActor, IWithTimers, IWithStash
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

    private DaemonSpec _spec;   // this generation's spec, with ${NAME.port} expanded, from its Launch
    private readonly DaemonSettings _settings;
    private readonly SessionContext _session;
    private readonly IActorRef _sessionActor;
    private readonly ILogger _log;

    private long _generation;
    private LaunchPlan? _plan;
    private int? _failuresBefore;   // the BackoffSupervisor's restart count: failed runs in a row before this one
    private int _port;
    private DaemonProcess? _process;
    private bool _probeInFlight;
    private DaemonState _state = DaemonState.Starting; // the behaviour this actor is in, where a handler needs it
    private HealthWatch? _watch;               // HTTP probes on the prober's own clock, when the URL allows
    private DateTimeOffset? _reportedHealth;   // the last healthy time told to the session
    private int _failedProbes;
    private bool _completed;    // the run exited 0 and its restart policy ends the daemon there
    private string? _lastProbeError;
    private bool _rotating;
    private bool _stopRequested;
    private bool _ending;
    private bool _pidFileRemoved;
    private long _launchOrdered; // a Stopwatch timestamp, for the launch-latency metric

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public DaemonActor(DaemonSpec spec, SessionContext session, IActorRef sessionActor)
    {
        _spec = spec;
        _settings = DaemonSettings.For(spec, session.Config);
        _session = session;
        _sessionActor = sessionActor;
        _log = session.DaemonLogger(spec.Name);
        AwaitingLaunch();
    }

    public static Props Props(DaemonSpec spec, SessionContext session, IActorRef sessionActor) =>
        Akka.Actor.Props.Create(() => new DaemonActor(spec, session, sessionActor));

    private string Name => _spec.Name;
    private SupervisorConfig Config => _session.Config;
    private string LogPath => _session.Store.LogPathFor(Name, _session.SessionId);

    protected override void PreStart()
    {
        // How many runs in a row failed before this one decides, when this one fails, whether another follows. The
        // BackoffSupervisor keeps that count (it also sets the backoff delay from it), so it is asked, not copied.
        Context.Parent.Tell(BackoffSupervisor.GetRestartCount.Instance);
        _sessionActor.Tell(new DaemonProtocol.GenerationReady(Name));
    }

    /// <summary>
    /// A generation torn down without a graceful stop (its supervisor stopped, the ActorSystem shut down) must not
    /// leave its process behind: nothing else would ever stop it.
    /// </summary>
    protected override void PostStop()
    {
        StopWatching();
        if (_process is { HasExited: false } || _process?.GroupHasMembers() == true)
        {
            SupervisionLog.TornDown(_log, Name, _process.ProcessGroup, _session.SessionId, _generation);
            _process.Kill();
        }
        RemovePidFile();
    }

    /// <summary>
    /// An unexpected error while handling this daemon (a bug, a file system surprise) fails this run with its reason,
    /// like any other failure, so neither the session nor any other daemon ever sees the exception. Only while the
    /// generation is already ending is it left to the BackoffSupervisor, which stops this actor (PostStop kills what
    /// is left of the process).
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (e is not OutOfMemoryException && _failuresBefore is not null && !_ending)
        {
            var reason = $"supervisor error: {e.Message}";
            if (_process is null) FailWithoutProcess(reason, cannotLaunch: false);
            else FailRun(new FailureRecord { Reason = reason, Kind = FailureKind.Supervisor });
            return true;
        }
    }

    // ---- Starting, before a process exists -------------------------------------------------------------------

    private void AwaitingLaunch()
    {
        Receive<BackoffSupervisor.RestartCount>(c =>
        {
            _failuresBefore = c.Count;
            Stash.UnstashAll();
        });
        Receive<DaemonProtocol.Launch>(launch =>
        {
            // The verdict on a failed launch needs the restart count, which the parent answers at once.
            if (_failuresBefore is null) Stash.Stash();
            else Launch(launch);
        });
        Receive<DaemonProtocol.Stop>(_ => Context.Stop(Self));
    }

    private void Launch(DaemonProtocol.Launch launch)
    {
        _spec = launch.Spec;
        _launchOrdered = System.Diagnostics.Stopwatch.GetTimestamp();
        _plan = launch.Plan;
        _generation = launch.Plan.Generation;
        _port = launch.Port;
        if (launch.PortError is { } portError)
        {
            FailWithoutProcess(portError, cannotLaunch: true);
            return;
        }

        if (launch.Plan.Adopt is { } adopt)
        {
            var adopted = DaemonProcess.Adopt(adopt.Identity!.Value, adopt.ProcessGroup ?? adopt.Pid, adopt.StartedAt, adopt.LaunchId, adopt.Argv, adopt.Executable);
            if (adopted is not null)
            {
                _port = adopt.Port;
                Spawned(adopted);
                return;
            }
            // It died between the session's check and ours: start fresh, as with any stale PID file.
            _session.Store.Remove(Name, _session.SessionId, adopt.Pid);
        }

        if (LogFile.NeedsRotation(LogPath, Config.LogMaxBytes)) LogFile.Rotate(LogPath, Config.LogKeep);
        List<KeyValuePair<string, string>> environment;
        try
        {
            environment = DaemonEnvironment(readEnvFile: true);
        }
        catch (FormatException e)
        {
            FailWithoutProcess(e.Message, cannotLaunch: true);
            return;
        }
        var request = new LaunchRequest
        {
            Argv = _spec.Argv(_port),
            WorkDir = WorkDir,
            LogPath = LogPath,
            Environment = environment,
            Ephemeral = _spec.Lifetime == DaemonLifetime.Ephemeral,
            Tag = _session.Store.NewLaunch(Name, _session.SessionId),
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
            FailWithoutProcess($"cannot write its PID file: {e.Message}", cannotLaunch: false);
            return;
        }

        var generation = _generation;
        Observability.SupervisorMetrics.Launched(Name, _session.SessionId, _launchOrdered);
        _process.Exit.PipeTo(Self, success: exit => new ProcessExited(generation, exit));
        if (_process.IsChild) SupervisionLog.Launched(_log, Name, _session.SessionId, _process.Pid, _port, generation);
        else SupervisionLog.Adopted(_log, Name, _session.SessionId, _process.Pid, _port, generation);
        Note($"{(_process.IsChild ? "launched" : "adopted")} daemon {Name} (pid={_process.Pid} port={_port} generation={generation})");

        Become(Starting);
        if (_spec.HasHealthCheck)
        {
            Timers.StartSingleTimer(StartupTimedOut.Instance, StartupTimedOut.Instance, _settings.StartupTimeout);
            if (WatchableUrl() is { } url)
            {
                var self = Self; // captured here: the callback runs on the prober's thread
                var (name, session) = (Name, _session.SessionId);
                _watch = HttpProber.Shared.Watch(url, StartupProbeInterval, _settings.ProbeTimeout,
                    result => self.Tell(new ProbeCompleted(generation, result)),
                    (result, took) => Observability.SupervisorMetrics.RecordProbe(name, session, result.Healthy, took));
                Timers.StartPeriodicTimer(LogCheck.Instance, LogCheck.Instance, LogCheckInterval);
            }
            else
            {
                Probe();
                Timers.StartPeriodicTimer(HealthTick.Instance, HealthTick.Instance, StartupProbeInterval);
            }
        }
        else
        {
            Timers.StartSingleTimer(Settled.Instance, Settled.Instance, _settings.SettleTime);
            Timers.StartPeriodicTimer(LogCheck.Instance, LogCheck.Instance, LogCheckInterval);
        }
        // Reported last, so whoever sees the launch also sees this generation's timers already armed.
        _sessionActor.Tell(new DaemonProtocol.Launched(Name, generation, _process.Pid, _port, _process.StartedAt, LogPath,
            Adopted: !_process.IsChild));
    }

    /// <summary>
    /// An HTTP health URL the shared prober can watch on its own clock (http:// to an IP address): it probes every
    /// interval on one thread and tells this actor only the first result, every failure and the first success after
    /// a failure, so a healthy daemon costs no actor message at all. Other probes are driven by the health tick.
    /// </summary>
    private Uri? WatchableUrl() =>
        !_spec.HealthMcp && _spec.ResolveHealthUrl(_port) is { } url && HttpProber.CanProbe(url) ? url : null;

    /// <summary>
    /// How often the log's size is checked (and, for a watched daemon, its last healthy time passed on): seldom, since
    /// per-daemon ticks are most of what an idle supervisor costs; a log grows past its limit by a few seconds' output.
    /// </summary>
    private TimeSpan LogCheckInterval =>
        _settings.HealthInterval > TimeSpan.FromSeconds(10) ? _settings.HealthInterval : TimeSpan.FromSeconds(10);

    private void StopWatching()
    {
        _watch?.Dispose();
        _watch = null;
    }

    /// <summary>While starting, probe more often than the health interval, so "healthy" is seen soon after it is true.</summary>
    private TimeSpan StartupProbeInterval =>
        _settings.StartupProbeInterval < _settings.HealthInterval ? _settings.StartupProbeInterval : _settings.HealthInterval;

    // ---- Starting, with a process; Running -------------------------------------------------------------------

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
        Receive<StartupTimedOut>(_ =>
        {
            if (_settings.OnUnhealthy == UnhealthyAction.Mark)
            {
                BecomeUnhealthy();
                return;
            }
            FailRun(new FailureRecord
            {
                Reason = $"not healthy within the startup timeout of {Configuration.Duration.Format(_settings.StartupTimeout)}",
                ProbeError = _lastProbeError,
                Kind = FailureKind.StartupTimeout,
            });
        });
        WhileUp();
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
                _sessionActor.Tell(new DaemonProtocol.HealthOk(Name, _generation, DateTimeOffset.UtcNow));
                return;
            }
            _failedProbes++;
            _lastProbeError = p.Outcome.Error;
            SupervisionLog.ProbeFailed(_log, Name, _failedProbes, _settings.FailureThreshold, p.Outcome.Error,
                _process!.Pid, _session.SessionId, _generation);
            if (_failedProbes < _settings.FailureThreshold) return;
            if (_settings.OnUnhealthy == UnhealthyAction.Mark) BecomeUnhealthy();
            else
                FailRun(new FailureRecord
                {
                    Reason = $"health check failed {_failedProbes} times in a row",
                    ProbeError = p.Outcome.Error,
                    Kind = FailureKind.Health,
                });
        });
        Receive<StablePeriodReached>(_ =>
        {
            // Manual reset: only a run that proved itself stable clears the BackoffSupervisor's restart count.
            Context.Parent.Tell(BackoffSupervisor.Reset.Instance);
            _failuresBefore = 0;
            _sessionActor.Tell(new DaemonProtocol.StableRun(Name, _generation));
        });
        WhileUp();
    }

    /// <summary>
    /// on_unhealthy = mark: the health check fails, the process is kept (NTM upstream's choice for daemons whose
    /// clients would rather have a slow one than none), probes go on, and one that passes makes it running again.
    /// </summary>
    private void Unhealthy()
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
                Note($"daemon {Name} (pid={_process!.Pid}) health probe passed; unhealthy -> running");
                BecomeRunning();
            }
            else _lastProbeError = p.Outcome.Error;
        });
        WhileUp();
    }

    private void BecomeUnhealthy()
    {
        Timers.Cancel(StartupTimedOut.Instance);
        Timers.Cancel(StablePeriodReached.Instance);
        if (_watch is not null) _watch.ChangeInterval(_settings.HealthInterval);
        else Timers.StartPeriodicTimer(HealthTick.Instance, HealthTick.Instance, _settings.HealthInterval);
        Note($"daemon {Name} (pid={_process!.Pid}) health check failing: {_lastProbeError}; marked unhealthy, process kept");
        _sessionActor.Tell(new DaemonProtocol.BecameUnhealthy(Name, _generation, _lastProbeError));
        _state = DaemonState.Unhealthy;
        Become(Unhealthy);
    }

    private void WhileUp()
    {
        Receive<ProcessExited>(e => e.Generation == _generation, e => RunExited(e.Exit));
        Receive<DaemonProtocol.Stop>(_ =>
        {
            _stopRequested = true;
            Note($"stopping daemon {Name} (pid={_process!.Pid}): {SignalName(_settings.StopSignal)}, then SIGKILL after {Configuration.Duration.Format(_settings.StopGrace)}");
            _sessionActor.Tell(new DaemonProtocol.Stopping(Name, _generation));
            EndProcess(then: DaemonState.Stopped);
        });
        Receive<LogCheck>(_ =>
        {
            RotateLogIfNeeded();
            // A watched daemon's healthy probes are not messages: its last healthy time is passed on from here.
            if (_watch?.LastHealthyAt is { } at && at != _reportedHealth && _state is DaemonState.Running)
            {
                _reportedHealth = at;
                _sessionActor.Tell(new DaemonProtocol.HealthOk(Name, _generation, at));
            }
        });
        Receive<LogRotated>(_ => _rotating = false);
        IgnoreLateNews();
    }

    private void BecomeRunning()
    {
        _failedProbes = 0;
        _lastProbeError = null; // errors from before it was healthy say nothing about why it fails later
        Timers.Cancel(StartupTimedOut.Instance);
        Timers.Cancel(Settled.Instance);
        if (_watch is not null) _watch.ChangeInterval(_settings.HealthInterval);
        else if (_spec.HasHealthCheck) Timers.StartPeriodicTimer(HealthTick.Instance, HealthTick.Instance, _settings.HealthInterval);
        _state = DaemonState.Running;
        Timers.StartSingleTimer(StablePeriodReached.Instance, StablePeriodReached.Instance, _settings.StablePeriod);
        _sessionActor.Tell(new DaemonProtocol.BecameRunning(Name, _generation, DateTimeOffset.UtcNow));
        Become(Running);
    }

    // ---- Ending: Stopping, Restarting, and the final Stopped and Failed ---------------------------------------

    private void FailRun(FailureRecord failure)
    {
        var record = failure with { At = DateTimeOffset.UtcNow, LogTail = LogFile.Tail(LogPath) };
        var verdict = RestartRules.AfterFailure(_failuresBefore!.Value, _settings.MaxRestarts, cannotLaunch: false,
            everLaunched: true, _settings.Restart);
        Report(record, verdict);
        EndProcess(then: verdict == RunVerdict.Restart ? DaemonState.Restarting : DaemonState.Failed);
    }

    /// <summary>The process ended on its own: a failed run, or, for a one-shot task that exited 0, the daemon's completion.</summary>
    private void RunExited(ProcessExit exit)
    {
        var verdict = RestartRules.AfterExit(exit.ExitCode, _settings.Restart, _failuresBefore!.Value, _settings.MaxRestarts);
        if (verdict == RunVerdict.Complete)
        {
            _completed = true;
            Note($"daemon {Name} (pid={_process!.Pid}) exited with code 0; completed (restart: {PolicyWord})");
            EndProcess(then: DaemonState.Stopped);
            return;
        }
        FailRun(new FailureRecord
        {
            Reason = "exited unexpectedly" + exit.DetachedNote,
            ExitCode = exit.ExitCode,
            Signal = exit.Signal,
            ProbeError = _lastProbeError,
            Kind = exit.Signal is null ? FailureKind.Exit : FailureKind.Signal,
        });
    }

    private string PolicyWord => _settings.Restart switch
    {
        RestartPolicy.OnFailure => "on-failure",
        RestartPolicy.Never => "never",
        _ => "always",
    };

    private static string SignalName(int signal) =>
        StopSignals.Names.FirstOrDefault(n => StopSignals.Parse(n) == signal) ?? $"signal {signal}";

    private void FailWithoutProcess(string reason, bool cannotLaunch)
    {
        var failure = new FailureRecord
        {
            Reason = reason, At = DateTimeOffset.UtcNow, Kind = cannotLaunch ? FailureKind.CannotLaunch : FailureKind.Supervisor,
        };
        SupervisionLog.CannotLaunch(_log, Name, reason, _session.SessionId, _generation);
        var verdict = RestartRules.AfterFailure(_failuresBefore!.Value, _settings.MaxRestarts, cannotLaunch,
            everLaunched: _plan?.IsRestart == true, _settings.Restart);
        Report(failure, verdict);
        Ended(verdict == RunVerdict.Restart ? DaemonState.Restarting : DaemonState.Failed);
    }

    private void Report(FailureRecord failure, RunVerdict verdict)
    {
        var failures = _failuresBefore!.Value + 1;
        var next = verdict == RunVerdict.Restart
            ? $"restart {failures} of {_settings.MaxRestarts} in " +
              Configuration.Duration.Format(RestartRules.BackoffDelay(_failuresBefore.Value, _settings.BackoffMin, _settings.BackoffMax))
            : $"giving up after {failures} failed runs in a row";
        SupervisionLog.RunFailed(_log, Name, failure.ToString(), next, _process?.Pid ?? 0, _session.SessionId, _generation);
        Note($"daemon {Name} (pid={_process?.Pid ?? 0}) run failed: {failure}; {next}");
        _sessionActor.Tell(new DaemonProtocol.RunFailed(Name, _generation, failure, failures, verdict));
    }

    /// <summary>
    /// Ends the process: at once (SIGKILL to what is left of the group) when its leader has already exited, or
    /// SIGTERM, grace, SIGKILL when it still runs. Then the generation ends as <paramref name="then"/>.
    /// </summary>
    private void EndProcess(DaemonState then)
    {
        _ending = true;
        StopWatching();
        Timers.CancelAll();
        if (_process!.HasExited)
        {
            // The leader is gone; anything left in its group (grandchildren) goes now, so the next run starts clean.
            _process.Kill();
            Ended(then);
            return;
        }
        var generation = _generation;
        _process.StopAsync(_settings.StopGrace, _settings.StopSignal).PipeTo(Self,
            success: _ => new ProcessStopped(generation),
            failure: _ => new ProcessStopped(generation));
        Become(then == DaemonState.Restarting ? Restarting : Stopping);
    }

    /// <summary>A stop was asked for, or a failed run is being given up: the process is being stopped.</summary>
    private void Stopping() => WhileEnding(DaemonState.Failed);

    /// <summary>A failed run hands over: the process is being stopped, then the next generation follows the backoff.</summary>
    private void Restarting() => WhileEnding(DaemonState.Restarting);

    private void WhileEnding(DaemonState then)
    {
        Receive<ProcessStopped>(s => s.Generation == _generation, _ => Ended(then));
        // A stop asked for while a failed run is being ended: the daemon ends stopped instead.
        Receive<DaemonProtocol.Stop>(_ => _stopRequested = true);
        ReceiveAny(_ => { });
    }

    private void Ended(DaemonState then)
    {
        _ending = true;
        StopWatching();
        Timers.CancelAll();
        RemovePidFile();
        if (_stopRequested) then = DaemonState.Stopped;
        if (then == DaemonState.Restarting)
        {
            // The BackoffSupervisor sees this actor stop and starts the next generation after the backoff delay.
            Context.Stop(Self);
            return;
        }
        if (then == DaemonState.Stopped && _process is not null)
        {
            SupervisionLog.Stopped(_log, Name, _process.Pid, _session.SessionId, _generation);
            Note($"daemon {Name} (pid={_process.Pid}) stopped");
        }
        _sessionActor.Tell(new DaemonProtocol.Ended(Name, _generation, then, Completed: _completed && !_stopRequested));
        Become(then == DaemonState.Stopped ? Stopped : Failed);
    }

    /// <summary>
    /// Final: no process, no timers, and no next generation (the BackoffSupervisor starts one only when this actor
    /// stops). The actor stays so the daemon's last generation answers for itself until the session removes it, to
    /// start the daemon again or for good.
    /// </summary>
    private void Stopped() => ReceiveAny(_ => { });

    /// <inheritdoc cref="Stopped"/>
    private void Failed() => ReceiveAny(_ => { });

    private void IgnoreLateNews()
    {
        // Results of an earlier generation, and ticks that raced a transition, change nothing.
        Receive<ProcessExited>(_ => { });
        Receive<ProbeCompleted>(_ => { });
        Receive<Settled>(_ => { });
        Receive<StartupTimedOut>(_ => { });
        Receive<StablePeriodReached>(_ => { });
        Receive<BackoffSupervisor.RestartCount>(_ => { });
    }

    // ---- Probes, logs, files ---------------------------------------------------------------------------------

    private void Probe()
    {
        if (_probeInFlight || _process is null) return;
        _probeInFlight = true;
        var generation = _generation;
        Observability.SupervisorMetrics.TimeProbe(ProbeOnce, Name, _session.SessionId).PipeTo(Self,
            success: result => new ProbeCompleted(generation, result),
            failure: e => new ProbeCompleted(generation, ProbeResult.Fail(e.Message)));
    }

    private Task<ProbeResult> ProbeOnce()
    {
        var timeout = _settings.ProbeTimeout;
        if (_spec.HealthMcp) return McpProbe.CheckAsync(new Uri($"http://127.0.0.1:{_port}/"), timeout);
        if (_spec.ResolveHealthUrl(_port) is { } url) return HttpProbe.CheckAsync(url, timeout);
        if (HealthTcp.Resolve(_spec.HealthTcp, _port) is { } endpoint) return TcpProbe.CheckAsync(endpoint, timeout);
        return CommandProbe.CheckAsync(_spec.HealthCmd!, WorkDir, _environment ?? AdoptedEnvironment(), timeout);
    }

    /// <summary>
    /// An adopted daemon was launched by an earlier supervisor, so its env_file is read now, the nearest to what that
    /// launch read; one that no longer parses is left out rather than stopping the probes.
    /// </summary>
    private List<KeyValuePair<string, string>> AdoptedEnvironment()
    {
        try
        {
            return DaemonEnvironment(readEnvFile: true);
        }
        catch (FormatException)
        {
            return DaemonEnvironment(readEnvFile: false);
        }
    }

    /// <summary>
    /// A line of the supervisor's own in the daemon's log, as NTM writes them ("[supervisor] ..."), so the log shows
    /// launches, exits, restarts and stops in context. Appended with O_APPEND like the daemon's own writes, so the two
    /// interleave by line; best effort, since a log that cannot be written must not stop supervision.
    /// </summary>
    private void Note(string text) =>
        LogFile.AppendLine(LogPath, $"[supervisor] {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {text}");

    private void RotateLogIfNeeded()
    {
        if (_rotating || !LogFile.NeedsRotation(LogPath, Config.LogMaxBytes)) return;
        _rotating = true;
        var path = LogPath;
        var keep = Config.LogKeep;
        // Copying up to LogMaxBytes is slow enough to keep off the actor's thread.
        Task.Run(() => LogFile.Rotate(path, keep)).PipeTo(Self,
            success: () => LogRotated.Instance,
            failure: _ => LogRotated.Instance);
    }

    private string WorkDir => _spec.ResolveWorkDir(Config.ProjectDir);

    private List<KeyValuePair<string, string>>? _environment;

    /// <summary>
    /// On top of the supervisor's own environment: PORT, then the env_file's variables, then the spec's env (each
    /// later one wins). The env_file is read at each launch, so editing it takes effect at the next restart; the
    /// health command sees the same environment as the daemon.
    /// </summary>
    private List<KeyValuePair<string, string>> DaemonEnvironment(bool readEnvFile)
    {
        var env = new List<KeyValuePair<string, string>>(_spec.Env.Count + 1);
        if (_port > 0) env.Add(new("PORT", _port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (readEnvFile && !string.IsNullOrEmpty(_spec.EnvFile))
            env.AddRange(Configuration.DotEnv.Load(Path.GetFullPath(_spec.EnvFile, WorkDir)));
        foreach (var entry in _spec.Env)
        {
            var eq = entry.IndexOf('=');
            env.Add(new(entry[..eq], entry[(eq + 1)..]));
        }
        _environment = env;
        return env;
    }

    private void WritePidFile()
    {
        var self = ProcessIdentity.Self;
        _session.Store.Write(Name, new PidFileInfo
        {
            Pid = _process!.Pid,
            Port = _port,
            OwnerId = _session.SessionId,
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
    /// Once per generation, and only if it had a process. The file needs no reading first: this supervisor holds the
    /// daemon's lock, so nobody else writes it.
    /// </summary>
    private void RemovePidFile()
    {
        if (_process is null || _pidFileRemoved) return;
        _pidFileRemoved = true;
        try { _session.Store.Delete(Name, _session.SessionId); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SupervisionLog.PidFileNotRemoved(_log, Name, e.Message, _session.SessionId);
        }
    }
}
