namespace ActorSupervisor.Cli.Running;

/// <summary>The flags of `up`, already parsed and checked; null means "not given".</summary>
internal sealed record UpOptions(
    string? SpecsPath,
    string ProjectDir,
    string? Session,
    TimeSpan? HealthInterval,
    int? MaxRestarts,
    TimeSpan? BackoffMin,
    TimeSpan? BackoffMax,
    TimeSpan? StopGrace)
{
    /// <summary>--cluster-bind and friends: null runs a supervisor on its own (no remoting loaded).</summary>
    public ActorSupervisor.Cluster.ClusterNodeOptions? Cluster { get; init; }
}
