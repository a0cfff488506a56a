namespace ActorSupervisor.Processes;

/// <summary>
/// How a process ended. Both fields are null for a process that was not our child (an adopted one).
/// <see cref="Detached"/> are descendants still running when the leader ended that had left its process group
/// (a program that daemonized itself); they are killed with the rest of the daemon.
/// </summary>
internal sealed record ProcessExit(int Pid, int? ExitCode, int? Signal, DateTimeOffset At)
{
    public IReadOnlyList<int> Detached { get; init; } = [];

    /// <summary>For a failure reason: empty, or why a leader that exits is not a running daemon however it exits.</summary>
    public string DetachedNote => Detached.Count == 0
        ? ""
        : $", leaving {Detached.Count} detached process{(Detached.Count == 1 ? "" : "es")} (pid {string.Join(", ", Detached)}), " +
          "now killed: it daemonized itself; run it in the foreground (a daemon is running only while the process we started runs)";

    public override string ToString() =>
        (Signal is { } s ? $"killed by signal {s}" : ExitCode is { } c ? $"exited with code {c}" : "exited (status unknown)") + DetachedNote;
}
