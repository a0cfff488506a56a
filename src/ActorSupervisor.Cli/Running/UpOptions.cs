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
    /// <summary>--http: also serve the control API, /metrics and the dashboard on this TCP address.</summary>
    public Control.HttpAddress? Http { get; init; }

    /// <summary>--token-file: the token TCP requests must carry.</summary>
    public string? TokenFile { get; init; }
    /// <summary>--cluster-bind and friends: null runs a supervisor on its own (no remoting loaded).</summary>
    public ActorSupervisor.Cluster.ClusterNodeOptions? Cluster { get; init; }
}
