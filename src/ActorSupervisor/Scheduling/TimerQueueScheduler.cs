using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace ActorSupervisor.Scheduling;

/// <summary>
/// An Akka scheduler on .NET's own timer queue. Akka's default (a hashed wheel) wakes every 10 ms whether or not
/// anything is due and refuses a finer tick, so a 1 ms restart backoff waits 10-20 ms and an idle supervisor still
/// burns CPU. Here each scheduled item is a <see cref="Timer"/>: nothing wakes until something is due, and a 1 ms
/// delay takes about 1 ms (short one-shot delays go to <see cref="ShortDelays"/>, since the timer queue itself
/// resolves only to a few ms). Used by the ActorSystems the library creates itself; an app opts in with
/// <c>akka.scheduler.implementation = "ActorSupervisor.Scheduling.TimerQueueScheduler, ActorSupervisor"</c>.
/// </summary>
internal sealed class TimerQueueScheduler(Config config, ILoggingAdapter log) : SchedulerBase(config, log), IDateTimeOffsetNowTimeProvider, IDisposable
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;
    public override TimeSpan MonotonicClock => Clock.Elapsed;
    public override TimeSpan HighResMonotonicClock => Clock.Elapsed;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message,
        IActorRef sender, ICancelable cancelable) =>
        Schedule(initialDelay, interval, () => receiver.Tell(message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, action, cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, Timeout.InfiniteTimeSpan, action.Run, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action.Run, cancelable);

    /// <summary>One-shot delays up to this long are kept by <see cref="ShortDelays"/>, for millisecond precision.</summary>
    private static readonly TimeSpan ShortDelay = TimeSpan.FromMilliseconds(50);

    private void Schedule(TimeSpan delay, TimeSpan interval, Action action, ICancelable? cancelable)
    {
        if (cancelable?.IsCancellationRequested == true) return;
        var once = interval == Timeout.InfiniteTimeSpan;
        if (once && delay <= ShortDelay)
        {
            ShortDelays.Add(delay, () =>
            {
                if (cancelable?.IsCancellationRequested == true) return;
                try { action(); }
                catch (Exception e) { Log.Error(e, "Scheduled action failed"); }
            });
            return;
        }
        Timer? timer = null;
        timer = new Timer(_ =>
        {
            if (cancelable?.IsCancellationRequested == true)
            {
                timer!.Dispose();
                return;
            }
            if (once) timer!.Dispose();
            try { action(); }
            catch (Exception e) { Log.Error(e, "Scheduled action failed"); }
        }, null, Timeout.Infinite, Timeout.Infinite);
        // Cancelled items (timers re-armed on every state change, say) release their Timer at once.
        if (cancelable is not null) cancelable.Token.Register(static t => ((Timer)t!).Dispose(), timer);
        timer.Change(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, interval);
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// One thread and a queue ordered by due time: it sleeps exactly until the earliest item (indefinitely when there
    /// is none) and hands due items to the thread pool. Monitor.Wait resolves to about a millisecond.
    /// </summary>
    private static class ShortDelays
    {
        private static readonly PriorityQueue<Action, long> Queue = new();
        private static readonly object Gate = new();

        static ShortDelays()
        {
            new Thread(Loop) { IsBackground = true, Name = "actorsupervisor-short-delays" }.Start();
        }

        public static void Add(TimeSpan delay, Action action)
        {
            var due = Clock.Elapsed.Ticks + Math.Max(0, delay.Ticks);
            lock (Gate)
            {
                Queue.Enqueue(action, due);
                Monitor.Pulse(Gate);
            }
        }

        private static void Loop()
        {
            lock (Gate)
            {
                while (true)
                {
                    if (!Queue.TryPeek(out _, out var due))
                    {
                        Monitor.Wait(Gate);
                        continue;
                    }
                    var wait = due - Clock.Elapsed.Ticks;
                    if (wait > 0)
                    {
                        Monitor.Wait(Gate, (int)Math.Max(1, wait / TimeSpan.TicksPerMillisecond));
                        continue;
                    }
                    var action = Queue.Dequeue();
                    ThreadPool.UnsafeQueueUserWorkItem(static a => a(), action, preferLocal: false);
                }
            }
        }
    }
}
