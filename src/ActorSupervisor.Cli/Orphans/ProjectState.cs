using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Cli.Orphans;

/// <summary>The PID files of a project, where `up` writes them by default: &lt;project&gt;/.ntm/pids.</summary>
internal static class ProjectState
{
    public static PidFileStore Store(string projectDir) =>
        new(new SupervisorConfig { ProjectDir = projectDir }.WithDefaults().StateRoot);
}
