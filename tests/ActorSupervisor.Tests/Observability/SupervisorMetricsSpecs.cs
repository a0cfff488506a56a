using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Observability;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorSupervisor.Tests.Observability;

/// <summary>The rules behind the metrics and the health check, without actors or processes.</summary>
public sealed class SupervisorMetricsSpecs
{
    private static SupervisorEvents.DaemonStateChanged Change(string name, DaemonState state, int restarts = 0, FailureRecord? failure = null,
        string session = "s") =>
        new(session, new ManagedDaemon
        {
            Spec = new DaemonSpec { Name = name, Command = "/bin/true" }, State = state, Restarts = restarts, LastFailure = failure, OwnerId = session,
        }, null);

    [Fact]
    public void A_restart_after_a_failed_run_is_counted_with_the_kind_of_failure_and_one_on_request_as_requested()
    {
        var table = new DaemonStateTable();
        Assert.Null(table.Apply(Change("web", DaemonState.Starting)));
        Assert.Null(table.Apply(Change("web", DaemonState.Running)));
        var killed = new FailureRecord { Reason = "exited unexpectedly", Signal = 9, Kind = FailureKind.Signal };
        Assert.Null(table.Apply(Change("web", DaemonState.Restarting, 0, killed)));
        Assert.Equal("signal", table.Apply(Change("web", DaemonState.Starting, 1, killed)));
        Assert.Null(table.Apply(Change("web", DaemonState.Running, 1, killed)));
        Assert.Null(table.Apply(Change("web", DaemonState.Stopping, 1, killed)));
        Assert.Null(table.Apply(Change("web", DaemonState.Stopped, 1, killed)));
        Assert.Equal("requested", table.Apply(Change("web", DaemonState.Starting, 2, killed)));
        Assert.Equal([("s", DaemonState.Starting, 1)], table.Counts());
    }

    [Theory]
    [InlineData(FailureKind.Exit, "exit")]
    [InlineData(FailureKind.Signal, "signal")]
    [InlineData(FailureKind.Health, "health")]
    [InlineData(FailureKind.StartupTimeout, "startup_timeout")]
    [InlineData(FailureKind.CannotLaunch, "cannot_launch")]
    [InlineData(FailureKind.Dependency, "dependency")]
    [InlineData(FailureKind.Supervisor, "supervisor")]
    [InlineData(FailureKind.Other, "other")]
    public void A_failure_has_one_of_a_few_kinds_the_same_words_as_in_its_json(FailureKind kind, string word)
    {
        Assert.Equal(word, DaemonStateTable.FailureKind(new FailureRecord { Reason = "r", Kind = kind }));
        Assert.Equal($"\"{word}\"", System.Text.Json.JsonSerializer.Serialize(kind));
    }

    [Fact]
    public void A_removed_daemon_is_no_longer_counted_in_any_state()
    {
        var table = new DaemonStateTable();
        table.Apply(Change("web", DaemonState.Stopped, 0, null));
        table.Remove("s", "web");
        Assert.Empty(table.Counts());
    }

    [Fact]
    public void Health_is_unhealthy_naming_failed_daemons_degraded_naming_unsettled_ones_and_healthy_otherwise()
    {
        static IReadOnlyDictionary<string, ManagedDaemon> Of(params (string Name, DaemonState State)[] daemons) =>
            daemons.ToDictionary(d => d.Name, d => new ManagedDaemon { Spec = new DaemonSpec { Name = d.Name }, State = d.State });

        var failed = SupervisorHealthCheck.Evaluate(Of(("web", DaemonState.Running), ("db", DaemonState.Failed), ("api", DaemonState.Failed)));
        var degraded = SupervisorHealthCheck.Evaluate(Of(("web", DaemonState.Restarting), ("api", DaemonState.Starting), ("db", DaemonState.Running)));
        var healthy = SupervisorHealthCheck.Evaluate(Of(("web", DaemonState.Running), ("old", DaemonState.Stopped)));
        var lowered = SupervisorHealthCheck.Evaluate(Of(("db", DaemonState.Failed)), HealthStatus.Degraded);

        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("failed: api, db", failed.Description);
        Assert.Equal("failed", failed.Data["db"]);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal("restarting: web; starting: api", degraded.Description);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal("1 running, 1 stopped", healthy.Description);
        Assert.Equal(HealthStatus.Degraded, lowered.Status);
    }
}
