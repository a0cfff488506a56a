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
    TimeSpan? StopGrace);
