using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ActorSupervisor.Processes;

/// <summary>
/// One daemon's OS process: launched by us (our child, in its own session and process group) or adopted from a
/// PID file (not our child). Everything is signalled through a pidfd, so a signal reaches this very process (or the
/// group it leads) or nothing, never a process that reused its PID; pid 1 and group 1 are never signalled.
/// What belongs to the daemon: its process group, and every process carrying its launch tag (descendants that left
/// the group, such as a program that daemonizes itself), and while its leader still holds its session, that session.
/// </summary>
internal sealed class DaemonProcess
{
    private readonly object _gate = new();
    private readonly PidFd? _pidFd;
    private bool _reaped;
    private bool _stopRequested;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, ProcessIdentity> _detachedAtExit = new();

    public ProcessIdentity Identity { get; }
    public int Pid => Identity.Pid;

    /// <summary>The process group, which equals the PID: every daemon leads its own group (checked when adopting).</summary>
    public int ProcessGroup { get; }

    /// <summary>True if we started it; false if it was adopted from a PID file.</summary>
    public bool IsChild { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The launch tag's id in the daemon's environment (and its descendants'); null for NTM's daemons.</summary>
    public string? LaunchId { get; }

    /// <summary>The argv as launched (argv[0] as the spec wrote it), for the PID file and for identity checks later.</summary>
    public IReadOnlyList<string>? Argv { get; }

    /// <summary>The file that was executed (the command resolved on PATH), when known.</summary>
    public string? Executable { get; }

    /// <summary>Completes when the process has exited, with its exit code or signal when it was our child.</summary>
    public Task<ProcessExit> Exit { get; }

    private DaemonProcess(ProcessIdentity identity, PidFd? pidFd, bool isChild, DateTimeOffset startedAt, string? launchId,
        IReadOnlyList<string>? argv, string? executable)
    {
        Identity = identity;
        ProcessGroup = identity.Pid;
        _pidFd = pidFd;
        IsChild = isChild;
        StartedAt = startedAt;
        LaunchId = launchId;
        Argv = argv;
        Executable = executable;
        Exit = WaitForExit();
    }

    public bool HasExited => Exit.IsCompleted;

    /// <summary>
    /// Starts a daemon with posix_spawn: argv only (no shell), a new session (pid == pgid == sid), stdin from
    /// /dev/null, stdout and stderr appended to the log file, default signal dispositions (the runtime ignores
    /// SIGPIPE, and an ignored signal would otherwise be inherited). Throws <see cref="DaemonLaunchException"/>
    /// naming the command when it cannot be found or run, or the log file when it is refused. An ephemeral daemon
    /// must be spawned on <see cref="SpawnThread"/>: use <see cref="LaunchEphemeralAsync"/> for it.
    /// </summary>
    public static DaemonProcess Launch(LaunchRequest request)
    {
        if (request.Ephemeral)
            throw new ArgumentException("an ephemeral daemon is launched with LaunchEphemeralAsync", nameof(request));
        var (executable, argv, env) = Prepare(request);
        return Started(request, executable, argv, env, argv, executable);
    }

    /// <summary>
    /// Starts an ephemeral daemon: setpriv sets a parent-death signal and then execs the daemon in the same process.
    /// The signal fires when the *thread* that spawned the child ends, so it is spawned from one that lives as long
    /// as the supervisor.
    /// </summary>
    public static Task<DaemonProcess> LaunchEphemeralAsync(LaunchRequest request)
    {
        try
        {
            var (executable, argv, env) = Prepare(request);
            // setpriv execs the daemon with argv[0] = the resolved path.
            var final = new List<string>(argv) { [0] = executable };
            var viaSetpriv = new List<string>(argv);
            viaSetpriv.RemoveAt(0);
            viaSetpriv.InsertRange(0, [CommandPath.Setpriv, "--pdeathsig", "KILL", "--", executable]);
            return SpawnThread.Run(() => Started(request, CommandPath.Setpriv, viaSetpriv, env, final, executable));
        }
        catch (DaemonLaunchException e)
        {
            return Task.FromException<DaemonProcess>(e);
        }
    }

    private static (string Executable, List<string> Argv, Dictionary<string, string> Env) Prepare(LaunchRequest request)
    {
        if (!Directory.Exists(request.WorkDir))
            throw new DaemonLaunchException($"work dir '{request.WorkDir}' does not exist");
        var env = BuildEnvironment(request.Environment);
        var executable = CommandPath.Resolve(request.Argv[0], request.WorkDir, env.GetValueOrDefault("PATH"));
        // Last, so a spec's Env cannot remove or forge it.
        if (request.Tag is { } tag) env[LaunchTag.Variable] = tag.Format();
        return (executable, request.Argv.ToList(), env);
    }

    private static DaemonProcess Started(LaunchRequest request, string executable, List<string> spawnArgv,
        Dictionary<string, string> env, IReadOnlyList<string> finalArgv, string finalExecutable)
    {
        Reaper.Enable();
        if (request.Tag is { } tag) Reaper.RememberLaunch(tag.LaunchId);
        SafeFileHandle log;
        try
        {
            var logDir = Path.GetDirectoryName(Path.GetFullPath(request.LogPath))!;
            if (!Directory.Exists(logDir)) SafeFile.EnsureDirectory(logDir, tighten: false);
            log = SafeFile.Open(request.LogPath, Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND);
        }
        catch (IOException e)
        {
            throw new DaemonLaunchException($"cannot open its log file: {e.Message}");
        }
        int pid;
        using (log) pid = Spawn(executable, spawnArgv, env, request.WorkDir, log);
        Interlocked.Exchange(ref _nextLaunch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        var pidFd = PidFd.Open(pid);
        // Our unreaped child cannot vanish (a zombie keeps its stat), so its start time is always readable here.
        var start = ProcFs.Stat(pid)?.StartTime ?? 0;
        return new DaemonProcess(new ProcessIdentity(pid, start), pidFd, isChild: true, DateTimeOffset.UtcNow,
            request.Tag?.LaunchId, finalArgv.ToArray(), finalExecutable);
    }

    /// <summary>
    /// Takes over a process started by an earlier supervisor, if (and only if) it is still the same process (same PID,
    /// same start time) and leads its own process group, as every daemon does. Returns null otherwise. The pidfd is
    /// opened before the identity is checked, so the process we checked is the one we watch and signal.
    /// Deciding that the process is the daemon of a PID file (command line, owner, name) is PidFiles/Ownership's job.
    /// </summary>
    public static DaemonProcess? Adopt(ProcessIdentity expected, int processGroup, DateTimeOffset startedAt,
        string? launchId = null, IReadOnlyList<string>? argv = null, string? executable = null)
    {
        if (expected.Pid <= 1 || (processGroup > 0 && processGroup != expected.Pid)) return null;
        var pidFd = PidFd.OpenExact(expected);
        if (pidFd is null) return null;
        if (ProcFs.Stat(expected.Pid) is not { } stat || stat.ProcessGroup != expected.Pid)
        {
            pidFd.Dispose();
            return null;
        }
        return new DaemonProcess(expected, pidFd, isChild: false, startedAt, launchId,
            argv ?? ProcFs.CommandLine(expected.Pid), executable);
    }

    /// <summary>
    /// <paramref name="signal"/> (SIGTERM unless the daemon asks for another) to the daemon (its group and its detached
    /// descendants), up to <paramref name="grace"/> for it to go, then SIGKILL to whatever is left (a daemon that
    /// ignores the signal, or grandchildren that do). Completes when nothing of it is left.
    /// </summary>
    public async Task<ProcessExit> StopAsync(TimeSpan grace, int signal = Native.SIGTERM)
    {
        Volatile.Write(ref _stopRequested, true);
        var deadline = DateTimeOffset.UtcNow + grace;
        // The scans of /proc here are shared (FreshAsync) with the other daemons stopping at the same time.
        await SignalAllAsync(signal).ConfigureAwait(false);
        await Task.WhenAny(Exit, Task.Delay(grace)).ConfigureAwait(false);
        if (!Exit.IsCompleted) await SignalAllAsync(Native.SIGKILL).ConfigureAwait(false);
        var exit = await Exit.ConfigureAwait(false);

        // The leader is gone; grandchildren and detached descendants may linger, briefly or because they ignore SIGTERM.
        while (await AnythingLeftAsync().ConfigureAwait(false) && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(10).ConfigureAwait(false);
        for (var i = 0; i < 100 && await AnythingLeftAsync().ConfigureAwait(false); i++)
        {
            await SignalAllAsync(Native.SIGKILL).ConfigureAwait(false);
            await Task.Delay(10).ConfigureAwait(false);
        }
        return exit;
    }

    /// <summary>SIGKILL to everything of the daemon, now. For paths that cannot wait (a failed run, an actor being torn down).</summary>
    public void Kill()
    {
        if (!HasExited || Exit.Result.Detached.Count == 0 && LaunchId is null)
        {
            SignalAll(Native.SIGKILL);
            return;
        }
        // The leader is gone (a failed run, about to restart): the group, and what was seen detached at its exit, go
        // now without another scan of /proc on the restart's path; a sweep in the background catches stragglers (a
        // descendant that left the group after that look), all of them carrying this launch's tag.
        SignalGroup(Native.SIGKILL);
        foreach (var pid in Exit.Result.Detached) if (_detachedAtExit.TryGetValue(pid, out var id)) SignalExactly(id, Native.SIGKILL);
        _ = SweepStragglersAsync(Volatile.Read(ref _nextLaunch).Task);
    }

    /// <summary>
    /// Completed by the next launch of any daemon in this process (and replaced by a fresh one). A failed run's straggler
    /// sweep waits for it, so its full scans of /proc do not compete for the CPU with the restart it precedes.
    /// </summary>
    private static TaskCompletionSource _nextLaunch = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long a straggler sweep waits for that launch when none follows (a run given up, a long backoff).</summary>
    internal static readonly TimeSpan StragglerSweepWait = TimeSpan.FromMilliseconds(100);

    /// <summary>And then, so the new process gets through its exec and its first moments first.</summary>
    internal static readonly TimeSpan StragglerSweepAfterLaunch = TimeSpan.FromMilliseconds(5);

    private async Task SweepStragglersAsync(Task nextLaunch)
    {
        // Until here this runs on the caller's thread (the actor's): the wait costs a timer, not a thread.
        await Task.WhenAny(nextLaunch, Task.Delay(StragglerSweepWait)).ConfigureAwait(false);
        await Task.Delay(StragglerSweepAfterLaunch).ConfigureAwait(false);
        for (var round = 0; round < 50; round++)
        {
            var snapshot = ProcessTable.Fresh();
            var left = Detached(snapshot);
            var groupLeft = snapshot.Processes.Any(p => !p.IsZombie && p.ProcessGroup == ProcessGroup);
            if (left.Count == 0 && !groupLeft) return;
            SignalGroup(Native.SIGKILL);
            foreach (var escaped in left) SignalExactly(escaped, Native.SIGKILL);
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a signal to the process group if it is still ours to signal: through the pidfd, which names exactly the
    /// group this daemon leads, even after the leader is gone. Returns false if nothing was signalled.
    /// </summary>
    public bool SignalGroup(int signal)
    {
        lock (_gate)
        {
            if (_pidFd is null || ProcessGroup <= 1) return false;
            var errno = _pidFd.Send(signal, Native.PIDFD_SIGNAL_PROCESS_GROUP);
            if (errno == 0) return true;
            if (errno != Native.EINVAL) return false; // ESRCH: nobody is left in the group
            // Kernels before 6.9 cannot signal a group through a pidfd: kill(-pgid) while the group id provably is still
            // this daemon's. An unreaped child pins its PID and so its group id; an adopted leader must still be alive;
            // a group with members left cannot have had its id reused.
            var pinned = IsChild ? !_reaped : Identity.IsAlive;
            if (!pinned && !LiveGroupMembers()) return false;
            return Native.kill(-ProcessGroup, signal) == 0;
        }
    }

    /// <summary>
    /// Signals the group, then each detached descendant (by launch tag, and by session while the leader holds it). They
    /// are found first: once signalled, the leader may be reaped, and its session would no longer count as the daemon's.
    /// </summary>
    private void SignalAll(int signal)
    {
        var detached = Detached(ProcessTable.Fresh());
        SignalGroup(signal);
        foreach (var escaped in detached) SignalExactly(escaped, signal);
    }

    /// <inheritdoc cref="SignalAll"/>
    private async Task SignalAllAsync(int signal)
    {
        var detached = Detached(await ProcessTable.FreshAsync().ConfigureAwait(false));
        SignalGroup(signal);
        foreach (var escaped in detached) SignalExactly(escaped, signal);
    }

    /// <summary>
    /// Live processes of this daemon outside its process group: those carrying its launch tag, and, while the leader
    /// still holds the session id (so it cannot have been reused), the other members of its session.
    /// </summary>
    private List<ProcessIdentity> Detached(ProcessSnapshot snapshot)
    {
        var found = new List<ProcessIdentity>();
        var self = Environment.ProcessId;
        if (LaunchId is { } launch)
            foreach (var t in snapshot.Tagged)
                if (t.Tag.LaunchId == launch && t.Process.ProcessGroup != ProcessGroup) found.Add(t.Identity);
        bool sessionPinned;
        lock (_gate) sessionPinned = IsChild ? !_reaped : Identity.IsAlive;
        if (sessionPinned)
            foreach (var p in snapshot.Processes)
                if (!p.IsZombie && p.Session == Pid && p.ProcessGroup != ProcessGroup && p.Pid != self)
                    found.Add(new ProcessIdentity(p.Pid, p.StartTime));
        return found.Distinct().ToList();
    }

    /// <summary>One descendant, exactly (see <see cref="Signals"/>); if it becomes our zombie, the reaper may take it.</summary>
    private static void SignalExactly(ProcessIdentity target, int signal)
    {
        Reaper.MarkDescendant(target);
        Signals.SendExactly(target, signal, andGroup: true);
    }

    /// <summary>
    /// True while a live member of the daemon's process group (the leader or a grandchild) is left. The cheap check
    /// through the pidfd also counts zombies, which never go away where PID 1 does not reap orphans (containers), so a
    /// positive answer is confirmed against /proc. Detached descendants are not counted here (see <see cref="StopAsync"/>).
    /// </summary>
    public bool GroupHasMembers()
    {
        if (ProcessGroup <= 1) return false;
        var errno = _pidFd?.Send(0, Native.PIDFD_SIGNAL_PROCESS_GROUP) ?? Native.ESRCH;
        var anyone = errno == 0 || errno == Native.EPERM
                     || (errno == Native.EINVAL && (Native.kill(-ProcessGroup, 0) == 0 || Marshal.GetLastPInvokeError() == Native.EPERM));
        return anyone && LiveGroupMembers();
    }

    /// <summary>Anything of the daemon left alive: its group's members or a detached descendant.</summary>
    private async Task<bool> AnythingLeftAsync()
    {
        if (ProcessGroup <= 1) return false;
        var snapshot = await ProcessTable.FreshAsync().ConfigureAwait(false);
        return snapshot.Processes.Any(p => !p.IsZombie && p.ProcessGroup == ProcessGroup) || Detached(snapshot).Count > 0;
    }

    private bool LiveGroupMembers() => ProcessTable.GroupHasLiveMembers(ProcessGroup);

    private async Task<ProcessExit> WaitForExit()
    {
        if (_pidFd is null)
        {
            // pidfd_open failed: the process is already gone (possible only for adoption races).
            lock (_gate) { Reap(out var c, out var s); return new ProcessExit(Pid, c, s, DateTimeOffset.UtcNow); }
        }
        await ExitWatcher.Shared.WhenExited(_pidFd.Fd).ConfigureAwait(false);
        int? code, signal;
        lock (_gate) Reap(out code, out signal);
        // A leader that exits while descendants it detached run on has daemonized itself: say so in the exit. What
        // such a program detaches is reparented to us (the subreaper), so without a child of that kind there is
        // nothing to find, and a crash costs no scan of /proc.
        IReadOnlyList<ProcessIdentity> detached = [];
        if (LaunchId is not null && !Volatile.Read(ref _stopRequested) && Reaper.HasUnownedChildren())
            detached = await Task.Run(() => Detached(ProcessTable.Fresh())).ConfigureAwait(false); // off the exit watcher's thread
        foreach (var d in detached) _detachedAtExit[d.Pid] = d;
        return new ProcessExit(Pid, code, signal, DateTimeOffset.UtcNow) { Detached = detached.Select(d => d.Pid).ToArray() };
    }

    private void Reap(out int? code, out int? signal)
    {
        code = null;
        signal = null;
        if (IsChild && !_reaped)
        {
            int r, status;
            do r = Native.waitpid(Pid, out status, 0);
            while (r < 0 && Marshal.GetLastPInvokeError() == Native.EINTR);
            // ECHILD means the runtime reaped it (it does so when SIGCHLD was ignored at start): the status is lost.
            if (r == Pid)
            {
                if (Native.WIfExited(status)) code = Native.WExitStatus(status);
                else if (Native.WIfSignaled(status)) signal = Native.WTermSig(status);
            }
            Reaper.Release(Pid);
        }
        _reaped = true;
    }

    internal static Dictionary<string, string> BuildEnvironment(IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        // A supervisor run as a daemon of another one must not pass that one's tag on to daemons of its own.
        env.Remove(LaunchTag.Variable);
        foreach (var (key, value) in overrides) env[key] = value;
        return env;
    }

    /// <summary>
    /// posix_spawn with a new session, stdin from /dev/null and stdout/stderr onto <paramref name="output"/> (a
    /// descriptor opened by us, so no path is resolved, and no symbolic link followed, in the child).
    /// </summary>
    internal static unsafe int Spawn(string executable, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env,
        string workDir, SafeHandle output)
    {
        var strings = new List<nint>();
        byte* Utf8(string s)
        {
            var p = (byte*)Marshal.StringToCoTaskMemUTF8(s);
            strings.Add((nint)p);
            return p;
        }

        var argvPtr = (byte**)NativeMemory.Alloc((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        var envPtr = (byte**)NativeMemory.Alloc((nuint)(env.Count + 1), (nuint)sizeof(nint));
        var actions = (byte*)NativeMemory.AllocZeroed(Native.OpaqueSize);
        var attr = (byte*)NativeMemory.AllocZeroed(Native.OpaqueSize);
        var sigset = (byte*)NativeMemory.AllocZeroed(Native.OpaqueSize);
        var added = false;
        var lowFd = -1;
        try
        {
            output.DangerousAddRef(ref added);
            var outFd = (int)output.DangerousGetHandle();
            // dup2 onto itself would keep close-on-exec: a descriptor that landed on 1 or 2 (the supervisor's own were
            // closed) is moved above them first.
            if (outFd < 3) outFd = lowFd = Native.fcntl(outFd, Native.F_DUPFD_CLOEXEC, 3);
            for (var i = 0; i < argv.Count; i++) argvPtr[i] = Utf8(argv[i]);
            argvPtr[argv.Count] = null;
            var j = 0;
            foreach (var (k, v) in env) envPtr[j++] = Utf8($"{k}={v}");
            envPtr[j] = null;

            Check(Native.posix_spawn_file_actions_init(actions), "file actions");
            Check(Native.posix_spawnattr_init(attr), "spawn attributes");
            Check(Native.posix_spawn_file_actions_addopen(actions, 0, Utf8("/dev/null"), Native.O_RDONLY, 0), "stdin");
            // The descriptor is close-on-exec; its dup2 copies on 1 and 2 are not.
            Check(Native.posix_spawn_file_actions_adddup2(actions, outFd, 1), "stdout");
            Check(Native.posix_spawn_file_actions_adddup2(actions, outFd, 2), "stderr");
            Check(Native.posix_spawn_file_actions_addchdir_np(actions, Utf8(workDir)), "work dir");
            Native.sigfillset(sigset);
            Check(Native.posix_spawnattr_setsigdefault(attr, sigset), "signal defaults");
            Native.sigemptyset(sigset);
            Check(Native.posix_spawnattr_setsigmask(attr, sigset), "signal mask");
            Check(Native.posix_spawnattr_setflags(attr,
                Native.POSIX_SPAWN_SETSID | Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETSIGMASK), "flags");

            int rc, pid;
            // Known as ours before any reaping sweep can see it: its exit status is ours to collect.
            lock (Reaper.SpawnGate)
            {
                rc = Native.posix_spawn(out pid, Utf8(executable), actions, attr, argvPtr, envPtr);
                if (rc == 0) Reaper.Own(pid);
            }
            if (rc != 0)
                throw new DaemonLaunchException($"cannot start '{argv[0]}' ({executable}): {Native.ErrorText(rc)}");
            return pid;
        }
        finally
        {
            if (added) output.DangerousRelease();
            if (lowFd >= 0) Native.close(lowFd);
            Native.posix_spawn_file_actions_destroy(actions);
            Native.posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            NativeMemory.Free(argvPtr);
            NativeMemory.Free(envPtr);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new DaemonLaunchException($"posix_spawn setup ({what}): {Native.ErrorText(rc)}");
    }

    public override string ToString() => new StringBuilder().Append("pid ").Append(Pid).Append(IsChild ? "" : " (adopted)").ToString();
}
