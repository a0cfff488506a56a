using System.CommandLine;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Cli.Orphans;

/// <summary>
/// Where a project's PID files are: &lt;project&gt;/.ntm by default, or the state dir a spec file's settings or
/// --state-dir name, so that `status` and `stop` look where `up` wrote.
/// </summary>
internal static class ProjectState
{
    public static Option<string?> StateDirOption() => new("--state-dir")
    {
        Description = "The state dir `up` used (absolute, or relative to --project-dir). Default: the spec file's state-dir, else .ntm.",
        HelpName = "DIR",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (string.IsNullOrWhiteSpace(text)) result.AddError("--state-dir: must not be empty");
            return text;
        },
    };

    public static Option<string?> SpecsOption() => new("--specs")
    {
        Description = "The spec file `up` was given: its state-dir setting says where the PID files are.",
        HelpName = "FILE",
    };

    /// <summary>--state-dir wins, then the spec file's setting, then the default (.ntm under the project dir).</summary>
    public static PidFileStore Store(string projectDir, string? stateDir = null, string? specsPath = null)
    {
        var config = new SupervisorConfig { ProjectDir = projectDir, StateDir = stateDir ?? "" };
        if (string.IsNullOrEmpty(stateDir) && specsPath is not null)
            config = SupervisorSettings.Apply(config, SpecFile.Load(specsPath).Settings);
        return new PidFileStore(config.WithDefaults().StateRoot);
    }
}
