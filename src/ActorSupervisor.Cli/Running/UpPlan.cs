using System.Security.Cryptography;
using HoconConfig = Akka.Configuration.Config;
using ActorSupervisor.Cli.Demo;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Running;

/// <summary>
/// Everything `up` will do, worked out and checked before anything exists: the specs and the effective
/// configuration. Whatever is wrong throws here (<see cref="InvalidSpecException"/> or <see cref="UsageException"/>),
/// so a bad file or flag starts nothing and writes nothing.
/// </summary>
internal sealed record UpPlan(IReadOnlyList<DaemonSpec> Specs, SupervisorConfig Config, string Source)
{
    public static UpPlan From(UpOptions options)
    {
        IReadOnlyList<DaemonSpec> specs;
        HoconConfig settings;
        string source;
        if (options.SpecsPath is { } path)
        {
            // The message of SpecFile's exception names the file, the entry and the field. A relative work_dir is
            // checked where it will be resolved: under the project dir.
            var contents = SpecFile.Load(path, options.ProjectDir);
            (specs, settings, source) = (contents.Specs, contents.Settings, path);
            if (specs.Count == 0)
                throw new InvalidSpecException($"Spec file {path}", [new SpecProblem("file", "[]", "lists no daemons")]);
            // Accepted, but worth a word before anything starts (an NTM field this supervisor does not implement).
            foreach (var notice in contents.Notices) Diagnostics.Write($"actorsupervisor: warning: {path}: {notice}");
        }
        else
        {
            (specs, settings, source) = (DemoSpecs.All(), HoconConfig.Empty, "the bundled demo");
        }

        // Flags first; SupervisorSettings.Apply only fills what is still zero, from the file's HOCON and then the
        // library's reference.conf. So: flags > spec file settings > library defaults.
        var config = new SupervisorConfig
        {
            SessionId = options.Session ?? NewSessionId(),
            ProjectDir = options.ProjectDir,
            HealthInterval = options.HealthInterval ?? TimeSpan.Zero,
            MaxRestarts = options.MaxRestarts ?? 0,
            RestartBackoffMin = options.BackoffMin ?? TimeSpan.Zero,
            RestartBackoffMax = options.BackoffMax ?? TimeSpan.Zero,
            StopGrace = options.StopGrace ?? TimeSpan.Zero,
        };
        try
        {
            config = SupervisorSettings.Apply(config, settings).WithDefaults();
        }
        catch (InvalidSpecException e)
        {
            throw new InvalidSpecException($"Spec file {source}", e.Problems);
        }

        if (config.RestartBackoffMin > config.RestartBackoffMax)
        {
            // Say where each value came from, since either may be the one to fix.
            var min = options.BackoffMin is null ? $"{SupervisorSettings.Section}.restart-backoff-min" : "--backoff-min";
            var max = options.BackoffMax is null ? $"{SupervisorSettings.Section}.restart-backoff-max" : "--backoff-max";
            throw new UsageException(
                $"{min}: '{Duration.Format(config.RestartBackoffMin)}' is more than {max} " +
                $"('{Duration.Format(config.RestartBackoffMax)}'); the minimum backoff must not exceed the maximum");
        }
        Validation.EnsureValid(config);
        return new UpPlan(specs, config, source);
    }

    /// <summary>Short enough to type in `stop --session`, random enough that two runs in one project never meet.</summary>
    private static string NewSessionId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
}
