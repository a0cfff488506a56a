using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;

namespace ActorSupervisor.Tests.Lifecycle;

/// <summary>The dependency rules as pure functions: what a daemon waits for, when it may launch, cycles, dependents.</summary>
public sealed class DependenciesSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static DaemonSpec Spec(string name, params (string Name, DependencyCondition Condition)[] dependsOn) => new()
    {
        Name = name,
        Command = "/bin/" + name,
        DependsOn = dependsOn.ToDictionary(d => d.Name, d => d.Condition),
    };

    private static DaemonRecord New(string name) => DaemonRecord.New(Spec(name), "s1");

    private static DaemonRecord Launched(string name)
    {
        var (next, plan) = New(name).NextGeneration();
        return next.Apply(new DaemonProtocol.Launched(name, plan.Generation, 100, 0, T0, "/log", false));
    }

    private static DaemonRecord Healthy(string name) => Launched(name).Apply(new DaemonProtocol.BecameRunning(name, 1, T0));

    private static DaemonRecord Completed(string name) => Launched(name).Apply(new DaemonProtocol.Ended(name, 1, DaemonState.Stopped, Completed: true));

    private static DaemonRecord FailedWith(DaemonRecord record, FailureRecord? failure = null) =>
        record.Apply(new DaemonProtocol.RunFailed(record.Name, record.Generation, failure ?? new FailureRecord { Reason = "exited unexpectedly", ExitCode = 3 }, 6, RunVerdict.GiveUp))
            .Apply(new DaemonProtocol.Ended(record.Name, record.Generation, DaemonState.Failed));

    private static DaemonRecord Stopped(DaemonRecord record) =>
        record.RequestStop().Apply(new DaemonProtocol.Ended(record.Name, record.Generation, DaemonState.Stopped));

    private static Func<string, DaemonRecord?> Lookup(params DaemonRecord[] records) =>
        name => records.FirstOrDefault(r => r.Name == name);

    private const DependencyCondition Started = DependencyCondition.Started;
    private const DependencyCondition Healthy_ = DependencyCondition.Healthy;
    private const DependencyCondition Completed_ = DependencyCondition.Completed;

    [Fact]
    public void A_daemon_waits_for_its_depends_on_and_for_every_other_daemon_whose_port_it_wires_in()
    {
        var spec = Spec("api", ("db", Healthy_)) with
        {
            Args = ["--db", "${db.port}", "--cache", "${cache.port}", "--self", "${api.port}"],
            Env = ["QUEUE=${queue.port}"],
            HealthCmd = ["check", "${probe.port}"],
        };

        var of = Dependencies.Of(spec);

        // depends_on wins over the wiring's "started"; a daemon's own port is no dependency.
        Assert.Equal(new Dictionary<string, DependencyCondition>
        {
            ["db"] = Healthy_, ["cache"] = Started, ["queue"] = Started, ["probe"] = Started,
        }, of);
    }

    [Fact]
    public void A_daemon_without_dependencies_may_launch_at_once()
    {
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(Spec("web"), Lookup()));
    }

    [Fact]
    public void Each_condition_is_met_by_its_own_event_only()
    {
        var started = Spec("api", ("db", Started));
        var healthy = Spec("api", ("db", Healthy_));
        var completed = Spec("api", ("db", Completed_));

        Assert.Equal(new DependencyStatus.Waiting("waiting for db (started)"), Dependencies.Check(started, Lookup(New("db"))));
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(started, Lookup(Launched("db"))));

        Assert.Equal(new DependencyStatus.Waiting("waiting for db (healthy)"), Dependencies.Check(healthy, Lookup(Launched("db"))));
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(healthy, Lookup(Healthy("db"))));

        Assert.Equal(new DependencyStatus.Waiting("waiting for db (completed)"), Dependencies.Check(completed, Lookup(Healthy("db"))));
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(completed, Lookup(Completed("db"))));
    }

    [Fact]
    public void Everything_waited_for_is_named_in_name_order_with_those_not_started_yet_said_so()
    {
        var spec = Spec("api", ("zeta", Started), ("cache", Healthy_), ("alpha", Completed_), ("db", Started));
        var status = Dependencies.Check(spec, Lookup(Launched("cache"), New("zeta"), Launched("db")));
        Assert.Equal(new DependencyStatus.Waiting("waiting for alpha (completed; not started yet), cache (healthy), zeta (started)"), status);
    }

    [Fact]
    public void A_dependency_that_failed_before_meeting_its_condition_makes_the_launch_impossible_naming_the_failure()
    {
        var spec = Spec("api", ("db", Healthy_));
        var status = Dependencies.Check(spec, Lookup(FailedWith(Launched("db"))));
        Assert.Equal(new DependencyStatus.Impossible("dependency db failed before it was healthy: exited unexpectedly; exit code 3"), status);
    }

    [Fact]
    public void A_dependency_that_failed_without_a_recorded_failure_is_named_without_one()
    {
        var failed = Launched("db").Apply(new DaemonProtocol.Ended("db", 1, DaemonState.Failed));
        var status = Dependencies.Check(Spec("api", ("db", Completed_)), Lookup(failed));
        Assert.Equal(new DependencyStatus.Impossible("dependency db failed before it was completed"), status);
    }

    [Fact]
    public void A_dependency_stopped_before_meeting_its_condition_makes_the_launch_impossible_without_a_failure()
    {
        // It failed once (a failure is on record) and was then stopped: stopped is what is said, and no failure.
        var restarting = Launched("db").Apply(new DaemonProtocol.RunFailed("db", 1, new FailureRecord { Reason = "crashed" }, 1, RunVerdict.Restart));
        var status = Dependencies.Check(Spec("api", ("db", Healthy_)), Lookup(Stopped(restarting)));
        Assert.Equal(new DependencyStatus.Impossible("dependency db stopped before it was healthy"), status);

        var neverStarted = Stopped(New("db"));
        Assert.Equal(new DependencyStatus.Impossible("dependency db stopped before it was started"),
            Dependencies.Check(Spec("api", ("db", Started)), Lookup(neverStarted)));
    }

    [Fact]
    public void A_condition_met_before_the_dependency_ended_stays_met()
    {
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(Spec("api", ("db", Started)), Lookup(FailedWith(Launched("db")))));
        Assert.Same(DependencyStatus.Satisfied.Instance, Dependencies.Check(Spec("api", ("db", Healthy_)), Lookup(Stopped(Healthy("db")))));
    }

    [Fact]
    public void An_impossible_dependency_wins_over_ones_still_waited_for()
    {
        var spec = Spec("api", ("a", Started), ("b", Healthy_));
        var status = Dependencies.Check(spec, Lookup(New("a"), Stopped(New("b"))));
        Assert.Equal(new DependencyStatus.Impossible("dependency b stopped before it was healthy"), status);
    }

    [Fact]
    public void Dependents_are_found_directly_and_through_others_but_never_the_daemon_itself()
    {
        var specs = new[]
        {
            Spec("db"),
            Spec("api", ("db", Healthy_)),
            Spec("web") with { Args = ["--api", "${api.port}"] },
            Spec("worker", ("api", Started), ("db", Started)),
            Spec("other"),
            Spec("loop", ("db", Started)) with { Env = ["SELF=${loop.port}"] },
        };

        Assert.Equal(new HashSet<string> { "api", "web", "worker", "loop" }, Dependencies.DependentsOf("db", specs));
        Assert.Equal(new HashSet<string> { "web", "worker" }, Dependencies.DependentsOf("api", specs));
        Assert.Empty(Dependencies.DependentsOf("web", specs));
        Assert.Empty(Dependencies.DependentsOf("missing", specs));
    }

    [Fact]
    public void Dependents_of_a_daemon_in_a_cycle_stop_at_the_daemon_itself()
    {
        var specs = new[] { Spec("a", ("c", Started)), Spec("b", ("a", Started)), Spec("c", ("b", Started)) };
        Assert.Equal(new HashSet<string> { "b", "c" }, Dependencies.DependentsOf("a", specs));
    }

    [Fact]
    public void Without_a_cycle_there_is_none_to_report_even_where_paths_meet()
    {
        var diamond = new[]
        {
            Spec("top", ("left", Started), ("right", Started)),
            Spec("left", ("bottom", Healthy_)),
            Spec("right", ("bottom", Healthy_)),
            Spec("bottom", ("elsewhere", Started)), // a name outside the set is not followed
        };
        Assert.Null(Dependencies.FindCycle(diamond));
        Assert.Null(Dependencies.FindCycle([]));
    }

    [Fact]
    public void A_cycle_is_named_by_the_daemons_around_it_from_the_first_in_name_order()
    {
        var specs = new[] { Spec("c", ("a", Started)), Spec("b", ("c", Started)), Spec("a", ("b", Healthy_)), Spec("d", ("a", Started)) };
        Assert.Equal("a -> b -> c -> a", Dependencies.FindCycle(specs));
    }

    [Fact]
    public void A_cycle_reached_from_outside_it_names_only_the_daemons_in_it()
    {
        var specs = new[] { Spec("a", ("m", Started)), Spec("m", ("n", Started)), Spec("n", ("m", Started)) };
        Assert.Equal("m -> n -> m", Dependencies.FindCycle(specs));
    }

    [Fact]
    public void A_cycle_through_port_wiring_is_a_cycle_too()
    {
        var specs = new[] { Spec("a") with { Args = ["${b.port}"] }, Spec("b") with { Env = ["A=${a.port}"] } };
        Assert.Equal("a -> b -> a", Dependencies.FindCycle(specs));
    }

    [Fact]
    public void A_daemon_depending_on_itself_is_a_cycle_of_one()
    {
        Assert.Equal("x -> x", Dependencies.FindCycle([Spec("w"), Spec("x", ("x", Started))]));
    }
}
