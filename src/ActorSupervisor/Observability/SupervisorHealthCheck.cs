using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorSupervisor.Observability;

/// <summary>
/// A health check over a session's daemons: Unhealthy while any is failed (it gave up, or could not start), Degraded
/// while any is starting, restarting, or stopping unasked, Healthy otherwise. Daemons stopped on request are fine.
/// The description names the daemons at fault; the data has every daemon's state. Usable as a plain
/// <see cref="IHealthCheck"/> (over a <see cref="Supervisor"/>) and as Akka.Hosting's <see cref="IAkkaHealthCheck"/>
/// (over the session actor in the ActorRegistry).
/// </summary>
public sealed class SupervisorHealthCheck : IHealthCheck, IAkkaHealthCheck
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly Func<AkkaHealthCheckContext?, CancellationToken, Task<IReadOnlyDictionary<string, ManagedDaemon>>> _status;

    /// <summary>A check over the daemons <paramref name="supervisor"/> runs.</summary>
    public SupervisorHealthCheck(Supervisor supervisor) => _status = (_, ct) => supervisor.StatusAsync(ct);

    /// <summary>A check over the session actor registered in Akka.Hosting's ActorRegistry (see <c>WithDaemonSupervisor</c>).</summary>
    public SupervisorHealthCheck() => _status = async (context, ct) =>
    {
        if (context?.ActorRegistry is not { } registry || !registry.TryGet<SessionSupervisorActor>(out var actor))
            throw new InvalidOperationException("no daemon supervisor is registered in the ActorRegistry (WithDaemonSupervisor)");
        var report = await actor.Ask<SupervisorReplies.StatusReport>(SupervisorQueries.GetStatus.Instance, AskTimeout, ct).ConfigureAwait(false);
        return report.Daemons;
    };

    /// <summary>
    /// Asks the supervisor for its daemons' states (within 10 s) and judges them. A supervisor that does not answer is
    /// reported with the registration's failure status and the reason; never throws except for cancellation.
    /// </summary>
    /// <param name="context">The health-check context; its registration's failure status stands for Unhealthy.</param>
    /// <param name="cancellationToken">Cancels the question.</param>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Check(null, context.Registration.FailureStatus, cancellationToken);

    /// <summary>
    /// As the other overload, over the session actor found in <paramref name="context"/>'s ActorRegistry (registered by
    /// <c>WithDaemonSupervisor</c>); without one, the check reports the failure status saying so.
    /// </summary>
    /// <param name="context">Akka.Hosting's health-check context.</param>
    /// <param name="cancellationToken">Cancels the question.</param>
    public Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default) =>
        Check(context, context.Registration?.FailureStatus ?? HealthStatus.Unhealthy, cancellationToken);

    private async Task<HealthCheckResult> Check(AkkaHealthCheckContext? context, HealthStatus failureStatus, CancellationToken ct)
    {
        try
        {
            return Evaluate(await _status(context, ct).ConfigureAwait(false), failureStatus);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            return new HealthCheckResult(failureStatus, $"the supervisor did not answer: {e.Message}");
        }
    }

    /// <summary>The verdict on a status table; <paramref name="failureStatus"/> stands for Unhealthy (a host may lower it).</summary>
    internal static HealthCheckResult Evaluate(IReadOnlyDictionary<string, ManagedDaemon> daemons, HealthStatus failureStatus = HealthStatus.Unhealthy)
    {
        var data = daemons.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv => (object)kv.Value.State.ToWord(), StringComparer.Ordinal);
        string Names(Func<ManagedDaemon, bool> which) =>
            string.Join(", ", daemons.Values.Where(which).Select(d => d.Name).Order(StringComparer.Ordinal));

        var failed = Names(d => d.State == DaemonState.Failed);
        if (failed.Length > 0)
            return new HealthCheckResult(failureStatus, $"failed: {failed}", data: data);
        var unsettled = new[]
            {
                ("restarting", Names(d => d.State == DaemonState.Restarting)),
                ("starting", Names(d => d.State == DaemonState.Starting)),
                ("stopping", Names(d => d.State == DaemonState.Stopping)),
            }
            .Where(p => p.Item2.Length > 0)
            .Select(p => $"{p.Item1}: {p.Item2}")
            .ToList();
        if (unsettled.Count > 0)
            return HealthCheckResult.Degraded(string.Join("; ", unsettled), data: data);
        var running = daemons.Values.Count(d => d.State == DaemonState.Running);
        return HealthCheckResult.Healthy($"{running} running, {daemons.Count - running} stopped", data);
    }
}
