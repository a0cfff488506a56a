namespace ActorSupervisor.Lifecycle;

/// <summary>
/// News from one generation of one daemon (one DaemonActor and the one OS process it runs). Generations are numbered
/// from 1; news from any but the current one is late (about a process already handled) and changes nothing.
/// </summary>
internal interface IGenerationReport
{
    string Name { get; }
    long Generation { get; }
}
