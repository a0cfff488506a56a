using System.Runtime.InteropServices;
using System.Text;

namespace ActorSupervisor.Processes;

/// <summary>
/// One daemon's OS process: launched by us (our child, in its own session and process group) or adopted from a
/// PID file (not our child). Signals go to the whole process group, so grandchildren are reached too, and only
/// while the process is provably the one we started: unreaped (for a child) or with a matching start time.
/// </summary>
public sealed class DaemonProcess
{
    private readonly object _gate = new();
    private readonly int _pidFd;
    private bool _reaped;

    public ProcessIdentity Identity { get; }
    public int Pid => Identity.Pid;

    /// <summary>The process group, which equals the PID because every daemon leads its own session.</summary>
    public int ProcessGroup { get; }

    /// <summary>True if we started it; false if it was adopted from a PID file.</summary>
    public bool IsChild { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Completes when the process has exited, with its exit code or signal when it was our child.</summary>
    public Task<ProcessExit> Exit { get; }

    private DaemonProcess(ProcessIdentity identity, int processGroup, int pidFd, bool isChild, DateTimeOffset startedAt)
    {
        Identity = identity;
        ProcessGroup = processGroup;
        _pidFd = pidFd;
        IsChild = isChild;
        StartedAt = startedAt;
        Exit = WaitForExit();
    }

    public bool HasExited => Exit.IsCompleted;

    /// <summary>
    /// Starts a daemon with posix_spawn: argv only (no shell), a new session (pid == pgid == sid), stdin from
    /// /dev/null, stdout and stderr appended to the log file, default signal dispositions (the runtime ignores
    /// SIGPIPE, and an ignored signal would otherwise be inherited). Throws <see cref="DaemonLaunchException"/>
    /// naming the command when it cannot be found or run. An ephemeral daemon must be spawned on
    /// <see cref="SpawnThread"/>: use <see cref="LaunchEphemeralAsync"/> for it.
    /// </summary>
    public static DaemonProcess Launch(LaunchRequest request)
    {
        if (request.Ephemeral)
            throw new ArgumentException("an ephemeral daemon is launched with LaunchEphemeralAsync", nameof(request));
        var (executable, argv, env) = Prepare(request);
        return Started(Spawn(executable, argv, env, request.WorkDir, request.LogPath));
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
            argv.RemoveAt(0);
            argv.InsertRange(0, [CommandPath.Setpriv, "--pdeathsig", "KILL", "--", executable]);
            return SpawnThread.Run(() => Started(Spawn(CommandPath.Setpriv, argv, env, request.WorkDir, request.LogPath)));
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
        Directory.CreateDirectory(Path.GetDirectoryName(request.LogPath)!);
        return (executable, request.Argv.ToList(), env);
    }

    private static DaemonProcess Started(int pid)
    {
        var pidFd = Native.pidfd_open(pid, 0);
        // Our unreaped child cannot vanish, so its identity is always readable here.
        var identity = ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
        return new DaemonProcess(identity, pid, pidFd, isChild: true, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Takes over a process started by an earlier supervisor, if (and only if) it is still the same process:
    /// same PID and same start time. Returns null otherwise. The pidfd is opened before the identity is checked,
    /// so the process we checked is the one we watch.
    /// </summary>
    public static DaemonProcess? Adopt(ProcessIdentity expected, int processGroup, DateTimeOffset startedAt)
    {
        var pidFd = Native.pidfd_open(expected.Pid, 0);
        if (pidFd < 0) return null;
        if (ProcessIdentity.Of(expected.Pid) is not { } now || now.StartTime != expected.StartTime)
        {
            Native.close(pidFd);
            return null;
        }
        return new DaemonProcess(expected, processGroup > 0 ? processGroup : expected.Pid, pidFd, isChild: false, startedAt);
    }

    /// <summary>
    /// <paramref name="signal"/> (SIGTERM unless the daemon asks for another) to the group, up to <paramref name="grace"/> for it to go, then SIGKILL to whatever of the group is
    /// left (a daemon that ignores SIGTERM, or grandchildren that do). Completes when the group is empty.
    /// </summary>
    public async Task<ProcessExit> StopAsync(TimeSpan grace, int signal = Native.SIGTERM)
    {
        var deadline = DateTimeOffset.UtcNow + grace;
        SignalGroup(signal);
        await Task.WhenAny(Exit, Task.Delay(grace)).ConfigureAwait(false);
        if (!Exit.IsCompleted) SignalGroup(Native.SIGKILL);
        var exit = await Exit.ConfigureAwait(false);

        // The leader is gone; grandchildren may linger in its group, briefly or because they ignore SIGTERM.
        while (GroupHasMembers() && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(10).ConfigureAwait(false);
        if (GroupHasMembers())
        {
            SignalGroup(Native.SIGKILL);
            for (var i = 0; i < 100 && GroupHasMembers(); i++) await Task.Delay(10).ConfigureAwait(false);
        }
        return exit;
    }

    /// <summary>SIGKILL to the whole group, now. For paths that cannot wait (an actor being torn down).</summary>
    public void Kill() => SignalGroup(Native.SIGKILL);

    /// <summary>Sends a signal to the process group if it is still ours to signal. Returns false if it was not sent.</summary>
    public bool SignalGroup(int signal)
    {
        lock (_gate)
        {
            if (!_reaped)
            {
                // An unreaped child holds its PID, so the group id cannot have been reused. An adopted process is
                // not ours to reap: its start time must still match.
                if (!IsChild && !Identity.IsAlive && !Exit.IsCompleted) return false;
                if (!IsChild && Exit.IsCompleted && !GroupHasMembers()) return false;
                return Native.kill(-ProcessGroup, signal) == 0;
            }
            // The leader is reaped; a group id with members left cannot be reused, one without has nothing to signal.
            return GroupHasMembers() && Native.kill(-ProcessGroup, signal) == 0;
        }
    }

    /// <summary>
    /// True while any live process (the leader or a grandchild) is in the daemon's process group. The cheap kill(0)
    /// check also counts zombies, which never go away where PID 1 does not reap orphans (containers), so a
    /// positive answer is confirmed against /proc.
    /// </summary>
    public bool GroupHasMembers()
    {
        var anyone = Native.kill(-ProcessGroup, 0) == 0 || Marshal.GetLastPInvokeError() == Native.EPERM;
        return anyone && ProcessTable.GroupHasLiveMembers(ProcessGroup);
    }

    private async Task<ProcessExit> WaitForExit()
    {
        if (_pidFd < 0)
        {
            // pidfd_open failed: the process is already gone (possible only for adoption races).
            lock (_gate) { Reap(out var c, out var s); return new ProcessExit(Pid, c, s, DateTimeOffset.UtcNow); }
        }
        await ExitWatcher.Shared.WhenExited(_pidFd).ConfigureAwait(false);
        lock (_gate)
        {
            Reap(out var code, out var signal);
            Native.close(_pidFd);
            return new ProcessExit(Pid, code, signal, DateTimeOffset.UtcNow);
        }
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
        }
        _reaped = true;
    }

    private static Dictionary<string, string> BuildEnvironment(IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        foreach (var (key, value) in overrides) env[key] = value;
        return env;
    }

    private static unsafe int Spawn(string executable, IReadOnlyList<string> argv, Dictionary<string, string> env,
        string workDir, string logPath)
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
        try
        {
            for (var i = 0; i < argv.Count; i++) argvPtr[i] = Utf8(argv[i]);
            argvPtr[argv.Count] = null;
            var j = 0;
            foreach (var (k, v) in env) envPtr[j++] = Utf8($"{k}={v}");
            envPtr[j] = null;

            Check(Native.posix_spawn_file_actions_init(actions), "file actions");
            Check(Native.posix_spawnattr_init(attr), "spawn attributes");
            Check(Native.posix_spawn_file_actions_addopen(actions, 0, Utf8("/dev/null"), Native.O_RDONLY, 0), "stdin");
            Check(Native.posix_spawn_file_actions_addopen(actions, 1, Utf8(logPath),
                Native.O_WRONLY | Native.O_CREAT | Native.O_APPEND, 0b110_000_000), "log file");
            Check(Native.posix_spawn_file_actions_adddup2(actions, 1, 2), "stderr");
            Check(Native.posix_spawn_file_actions_addchdir_np(actions, Utf8(workDir)), "work dir");
            Native.sigfillset(sigset);
            Check(Native.posix_spawnattr_setsigdefault(attr, sigset), "signal defaults");
            Native.sigemptyset(sigset);
            Check(Native.posix_spawnattr_setsigmask(attr, sigset), "signal mask");
            Check(Native.posix_spawnattr_setflags(attr,
                Native.POSIX_SPAWN_SETSID | Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETSIGMASK), "flags");

            var rc = Native.posix_spawn(out var pid, Utf8(executable), actions, attr, argvPtr, envPtr);
            if (rc != 0)
                throw new DaemonLaunchException($"cannot start '{argv[0]}' ({executable}): {Native.ErrorText(rc)}");
            return pid;
        }
        finally
        {
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
