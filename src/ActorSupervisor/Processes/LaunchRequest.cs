namespace ActorSupervisor.Processes;

/// <summary>Everything needed to start one daemon process. Argv[0] is the command as written in the spec.</summary>
internal sealed record LaunchRequest
{
    public required IReadOnlyList<string> Argv { get; init; }
    public required string WorkDir { get; init; }

    /// <summary>Opened by the supervisor (never through a symbolic link, only in a private directory) and handed to the daemon.</summary>
    public required string LogPath { get; init; }

    /// <summary>Variables to set on top of the supervisor's own environment (PORT, then the spec's Env).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>Die with the supervisor (parent-death signal) instead of outliving it.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>
    /// Set in the daemon's environment (after the spec's Env, so it cannot be overridden), so that the daemon and
    /// everything it starts can be found from /proc even without a PID file. Null: an untagged launch.
    /// </summary>
    public LaunchTag? Tag { get; init; }
}

/// <summary>The daemon could not be started at all; the message names what is wrong (a missing binary, a bad work dir).</summary>
internal sealed class DaemonLaunchException(string message) : Exception(message);
