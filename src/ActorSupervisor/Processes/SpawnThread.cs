using System.Collections.Concurrent;

namespace ActorSupervisor.Processes;

/// <summary>
/// One thread that lives as long as the supervisor process. Linux delivers a parent-death signal when the thread
/// that forked the child ends, not the process, so ephemeral daemons must be spawned from a thread that never ends.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<Action> Work = new();

    static SpawnThread()
    {
        new Thread(() => { foreach (var work in Work.GetConsumingEnumerable()) work(); })
        { IsBackground = true, Name = "actorsupervisor-spawn" }.Start();
    }

    /// <summary>Work waiting for the thread (not counting what it runs now); lets a test know a spawn is queued.</summary>
    internal static int Queued => Work.Count;

    public static Task<T> Run<T>(Func<T> func)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try { done.SetResult(func()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }
}
