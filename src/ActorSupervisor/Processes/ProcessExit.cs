namespace ActorSupervisor.Processes;

/// <summary>How a process ended. Both fields are null for a process that was not our child (an adopted one).</summary>
public sealed record ProcessExit(int Pid, int? ExitCode, int? Signal, DateTimeOffset At)
{
    public override string ToString() =>
        Signal is { } s ? $"killed by signal {s}" : ExitCode is { } c ? $"exited with code {c}" : "exited (status unknown)";
}
