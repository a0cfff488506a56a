using Akka.Actor;
using ActorSupervisor.Configuration;
using ActorSupervisor.Scheduling;

namespace ActorSupervisor.Tests.Scheduling;

public sealed class TimerQueueSchedulerSpecs() : Akka.TestKit.Xunit2.TestKit(SupervisorHocon.OwnedSystem)
{
    [Fact]
    public void The_library_owned_system_runs_on_the_timer_queue_scheduler()
    {
        Assert.IsType<TimerQueueScheduler>(Sys.Scheduler);
    }

    [Fact]
    public void Short_and_long_delays_all_arrive_and_far_apart_ones_in_due_order()
    {
        // Items due within a moment of each other may be handed to two pool threads and arrive in either order; only
        // a wide gap makes the order a property of the scheduler rather than of thread timing.
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(800), TestActor, "late", ActorRefs.NoSender);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(1), TestActor, "short", ActorRefs.NoSender);
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.Zero, TestActor, "now", ActorRefs.NoSender);
        var arrived = ReceiveN(3, TimeSpan.FromSeconds(10)).Cast<string>().ToList();
        Assert.Equal(["late", "now", "short"], arrived.Order());
        Assert.Equal("late", arrived[2]);
    }

    [Fact]
    public void Cancelled_items_never_fire_whether_short_or_long()
    {
        var shortOne = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(20), TestActor, "short", ActorRefs.NoSender);
        var longOne = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(200), TestActor, "long", ActorRefs.NoSender);
        var repeating = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TestActor, "tick", ActorRefs.NoSender);
        shortOne.Cancel();
        longOne.Cancel();
        repeating.Cancel();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(600), TestActor, "end", ActorRefs.NoSender);
        Assert.Equal("end", ExpectMsg<string>(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Repeated_items_keep_firing_until_cancelled()
    {
        var repeating = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TestActor, "tick", ActorRefs.NoSender);
        ExpectMsg("tick", TimeSpan.FromSeconds(10));
        ExpectMsg("tick", TimeSpan.FromSeconds(10));
        ExpectMsg("tick", TimeSpan.FromSeconds(10));
        repeating.Cancel();
        // A tick already handed to the pool may still land; after that, silence.
        ReceiveWhile(TimeSpan.FromMilliseconds(200), m => m as string);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
