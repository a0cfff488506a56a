using System.Runtime.InteropServices;
using System.Collections.Concurrent;

namespace ActorSupervisor.Processes;

/// <summary>
/// Makes the supervisor process a child subreaper (PR_SET_CHILD_SUBREAPER): a descendant of a daemon whose parent
/// dies (a program that daemonizes itself: fork, setsid, fork) becomes our child instead of init's, so it stays
/// within reach and its exit is reaped here instead of lingering as a zombie.
/// <para>
/// Reaping must never take an exit status that belongs to someone else in this process: a
/// <see cref="DaemonProcess"/> reaps its own child with waitpid(pid), and .NET's System.Diagnostics.Process reaps
/// its children too and fails the whole process if another reaper got there first. So a zombie child is reaped here
/// only when it provably is a reparented descendant: it was seen alive carrying the tag of one of our launches, or
/// it sits in a session that is neither ours nor its own (every child this process starts directly, by any means,
/// is in our session or leads its own; only a reparented descendant can be in a third one). A process whose host
/// starts children only through this library (the CLI) may set <see cref="ReapEveryOrphan"/>.
/// </para>
/// </summary>
internal static class Reaper
{
    private static int _enabled;
    private static readonly object Gate = new();
    private static readonly ConcurrentDictionary<int, byte> Owned = new();
    private static readonly ConcurrentDictionary<string, byte> Launches = new();
    private static readonly ConcurrentDictionary<ProcessIdentity, bool> Seen = new();
    private static PosixSignalRegistration? _sigchld;
    private static Timer? _timer;
    private static int _sweepQueued;

    /// <summary>
    /// Reap every zombie child that no <see cref="DaemonProcess"/> or health probe owns. Only for a process that starts
    /// children through this library alone (the CLI does): .NET's Process class would lose its children's statuses.
    /// </summary>
    public static bool ReapEveryOrphan { get; set; }

    /// <summary>True once this process is a child subreaper.</summary>
    public static bool IsSubreaper
    {
        get
        {
            int value = 0;
            unsafe { return Native.prctl(Native.PR_GET_CHILD_SUBREAPER, (nuint)(&value), 0, 0, 0) == 0 && value != 0; }
        }
    }

    /// <summary>Becomes a subreaper (once per process) and starts reaping: on SIGCHLD and once a second.</summary>
    public static void Enable()
    {
        if (Interlocked.Exchange(ref _enabled, 1) == 1) return;
        Native.prctl(Native.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        try { _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => Schedule()); }
        catch (PlatformNotSupportedException) { }
        // The timer also learns about reparented descendants while they are alive (their environment is unreadable
        // once they are zombies).
        _timer = new Timer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Held around spawning a child and calling <see cref="Own"/>, so no sweep sees the child in between.</summary>
    internal static object SpawnGate => Gate;

    /// <summary>A child whose exit status belongs to its owner (a DaemonProcess, a health probe), who reaps it.</summary>
    internal static void Own(int pid) => Owned[pid] = 0;

    /// <summary>The owner has reaped (or will reap) this PID itself; it is no longer ours to protect.</summary>
    internal static void Release(int pid) => Owned.TryRemove(pid, out _);

    /// <summary>A launch made by this process: live processes carrying its tag are our descendants.</summary>
    internal static void RememberLaunch(string launchId) => Launches[launchId] = 0;

    /// <summary>A process we signalled as a descendant of one of our launches: if it becomes our zombie, reap it.</summary>
    internal static void MarkDescendant(ProcessIdentity identity)
    {
        if (Launches.IsEmpty) return;
        Seen[identity] = true;
    }

    /// <summary>
    /// True when a process that no DaemonProcess or probe owns has been handed to us: a reparented descendant, most
    /// likely. The kernel gives an orphan to the first live thread of its subreaper (find_new_reaper), which is our
    /// main thread for as long as the process runs, so only that thread's children are read: one file on the restart's
    /// path instead of one per thread (about 40; the walk took 0.25 ms of a crash's 3).
    /// </summary>
    internal static bool HasUnownedChildren()
    {
        var self = Environment.ProcessId;
        foreach (var child in ProcFs.ThreadChildren(self, self))
            if (!Owned.ContainsKey(child)) return true;
        return false;
    }

    private static void Schedule()
    {
        if (Interlocked.Exchange(ref _sweepQueued, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            Volatile.Write(ref _sweepQueued, 0);
            Sweep();
        }, null);
    }

    /// <summary>Reaps the zombies among our children that are provably reparented descendants. Returns how many.</summary>
    public static int Sweep()
    {
        var reaped = 0;
        lock (Gate)
        {
            var self = Environment.ProcessId;
            var ourSession = Native.getsid(0);
            var present = new HashSet<ProcessIdentity>();
            foreach (var child in ProcFs.Children(self))
            {
                if (Owned.ContainsKey(child) || ProcFs.Stat(child) is not { } stat || stat.ParentPid != self) continue;
                var id = new ProcessIdentity(child, stat.StartTime);
                present.Add(id);
                if (!stat.IsZombie)
                {
                    if (!Seen.ContainsKey(id) && !Launches.IsEmpty)
                    {
                        var tag = LaunchTag.Parse(ProcFs.EnvironmentVariable(child, LaunchTag.Variable, out var readable));
                        if (readable) Seen[id] = tag is not null && Launches.ContainsKey(tag.LaunchId);
                    }
                    continue;
                }
                var descendant = Seen.TryGetValue(id, out var ours) && ours;
                var thirdSession = stat.Session != ourSession && stat.Session != stat.Pid;
                if (!(ReapEveryOrphan || descendant || thirdSession)) continue;
                if (Native.waitpid(child, out _, Native.WNOHANG) == child) reaped++;
            }
            // A marked descendant may not be our child yet (its parent still lives); forget it only once it is gone.
            foreach (var known in Seen.Keys)
                if (!present.Contains(known) && ProcFs.Stat(known.Pid)?.StartTime != known.StartTime) Seen.TryRemove(known, out _);
        }
        return reaped;
    }
}
