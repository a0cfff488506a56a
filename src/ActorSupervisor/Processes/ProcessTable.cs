using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActorSupervisor.Processes;

/// <summary>A process carrying a <see cref="LaunchTag"/>, as seen in one snapshot.</summary>
internal sealed record TaggedProcess(ProcStat Process, LaunchTag Tag)
{
    public ProcessIdentity Identity => new(Process.Pid, Process.StartTime);
}

/// <summary>Every process in /proc at one moment (their stat fields), with the launch tags read on demand.</summary>
internal sealed class ProcessSnapshot
{
    private readonly Lazy<IReadOnlyList<TaggedProcess>> _tagged;

    internal ProcessSnapshot(long takenAt, IReadOnlyList<ProcStat> processes)
    {
        TakenAt = takenAt;
        Processes = processes;
        _tagged = new Lazy<IReadOnlyList<TaggedProcess>>(() => ProcessTable.ReadTags(processes));
    }

    /// <summary>Stopwatch timestamp at which the scan began: it shows every process that existed then and still does.</summary>
    public long TakenAt { get; }

    public IReadOnlyList<ProcStat> Processes { get; }

    /// <summary>Live (not zombie) processes carrying a launch tag, this process excluded.</summary>
    public IReadOnlyList<TaggedProcess> Tagged => _tagged.Value;
}

/// <summary>Questions about all processes, answered from /proc (through <see cref="ProcFs"/>).</summary>
internal static class ProcessTable
{
    private static readonly object Gate = new();
    private static ProcessSnapshot? _latest;

    // A process's environment is read once: the tag it was started with does not change. A negative answer is kept
    // only for a process that was readable and is no longer young: until its exec completes, a spawned child shows
    // its parent's environment (posix_spawn shares the parent's memory), which has no tag, so a scan that reads it then
    // proves nothing. Young untagged processes are read again by each scan.
    private static readonly ulong SettledAfterTicks = (ulong)(5 * ProcFs.ClockTicksPerSecond);

    private static readonly ConcurrentDictionary<ProcessIdentity, LaunchTag?> Tags = new();

    /// <summary>True if a process that is not a zombie has process group <paramref name="pgid"/>.</summary>
    public static bool GroupHasLiveMembers(int pgid) =>
        pgid > 0 && Fresh().Processes.Any(p => !p.IsZombie && p.ProcessGroup == pgid);

    /// <summary>
    /// A snapshot begun after this call. Callers waiting while a scan runs share the next one, but each caller holds
    /// its thread meanwhile: many callers at once (a mass stop) use <see cref="FreshAsync"/>.
    /// </summary>
    public static ProcessSnapshot Fresh()
    {
        var asked = Stopwatch.GetTimestamp();
        lock (Gate)
        {
            if (_latest is { } recent && recent.TakenAt >= asked) return recent;
            var taken = Stopwatch.GetTimestamp();
            var processes = new List<ProcStat>(512);
            foreach (var pid in ProcFs.Pids())
                if (ProcFs.Stat(pid) is { } stat) processes.Add(stat);
            _latest = new ProcessSnapshot(taken, processes);
            return _latest;
        }
    }

    private static readonly object QueuedGate = new();
    private static Task<ProcessSnapshot>? _queued;

    /// <summary>
    /// As <see cref="Fresh"/>, without holding a thread while it waits: a snapshot begun after this call, shared by
    /// every caller that asks before the queued scan begins. The daemon actors stopping a thousand daemons at once run
    /// on a couple of dispatcher threads, so with <see cref="Fresh"/> they would arrive one after another, each just
    /// after the last scan began, and pay a scan each (200 daemons: 375 scans of /proc, 600 ms to stop them all).
    /// </summary>
    public static Task<ProcessSnapshot> FreshAsync()
    {
        lock (QueuedGate)
        {
            if (_queued is { } queued) return queued;
            var scan = new TaskCompletionSource<ProcessSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queued = scan.Task;
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                // From here on a caller needs a scan that begins after this one has.
                lock (QueuedGate) _queued = null;
                try { scan.SetResult(Fresh()); }
                catch (Exception e) { scan.SetException(e); }
            }, null);
            return scan.Task;
        }
    }

    /// <summary>Live processes of one launch (the daemon and every descendant that kept its environment).</summary>
    public static IReadOnlyList<TaggedProcess> OfLaunch(string launchId) =>
        Fresh().Tagged.Where(t => t.Tag.LaunchId == launchId).ToList();

    internal static IReadOnlyList<TaggedProcess> ReadTags(IReadOnlyList<ProcStat> processes)
    {
        var self = Environment.ProcessId;
        var tagged = new List<TaggedProcess>();
        var present = new HashSet<ProcessIdentity>();
        var now = ProcFs.TicksSinceBoot();
        foreach (var p in processes)
        {
            // A kernel thread's environment cannot be opened: without this, each scan would try ~50 of them again.
            if (p.IsZombie || p.IsKernelThread || p.Pid == self) continue;
            var id = new ProcessIdentity(p.Pid, p.StartTime);
            present.Add(id);
            if (!Tags.TryGetValue(id, out var tag))
            {
                tag = LaunchTag.Parse(ProcFs.EnvironmentVariable(p.Pid, LaunchTag.Variable, out var readable));
                if (readable && (tag is not null || (now is { } n && n > p.StartTime + SettledAfterTicks))) Tags[id] = tag;
            }
            if (tag is not null) tagged.Add(new TaggedProcess(p, tag));
        }
        foreach (var gone in Tags.Keys)
            if (!present.Contains(gone)) Tags.TryRemove(gone, out _);
        return tagged;
    }
}
