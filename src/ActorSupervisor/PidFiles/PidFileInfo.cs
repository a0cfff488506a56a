using System.Text.Json.Serialization;
using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// What a PID file says. The first five fields are NTM's and mean the same here; the rest are ours, written beside
/// them so that a later supervisor (or `actorsupervisor status`) can tell our daemon from a process that merely
/// inherited its PID, and can tell whether the supervisor that owns it is still alive.
/// </summary>
public sealed record PidFileInfo
{
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("port")] public int Port { get; init; }
    [JsonPropertyName("owner_id")] public string OwnerId { get; init; } = "";
    [JsonPropertyName("command")] public string Command { get; init; } = "";
    [JsonPropertyName("started_at")] public DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat when the daemon started: with the PID, its identity.</summary>
    [JsonPropertyName("process_start_time")] public ulong? ProcessStartTime { get; init; }
    [JsonPropertyName("pgid")] public int? ProcessGroup { get; init; }
    [JsonPropertyName("supervisor_pid")] public int? SupervisorPid { get; init; }
    [JsonPropertyName("supervisor_start_time")] public ulong? SupervisorStartTime { get; init; }
    [JsonPropertyName("log_path")] public string? LogPath { get; init; }
    [JsonPropertyName("lifetime")] public string? Lifetime { get; init; }
    [JsonPropertyName("health_url")] public string? HealthUrl { get; init; }

    /// <summary>The daemon's recorded identity, when this file has one (NTM's files do not).</summary>
    [JsonIgnore]
    public ProcessIdentity? Identity => ProcessStartTime is { } t ? new ProcessIdentity(Pid, t) : null;

    [JsonIgnore]
    public ProcessIdentity? SupervisorIdentity =>
        SupervisorPid is { } p && SupervisorStartTime is { } t ? new ProcessIdentity(p, t) : null;

    /// <summary>
    /// True when the process this file describes is running now. With our start time the check is exact; for a
    /// file NTM wrote (no start time) the PID must be alive and running the recorded command.
    /// </summary>
    [JsonIgnore]
    public bool IsAlive
    {
        get
        {
            if (Identity is { } id) return id.IsAlive;
            if (ProcessIdentity.Of(Pid) is null) return false;
            var cmdline = ProcessIdentity.CommandLine(Pid);
            return cmdline is { Count: > 0 } && !string.IsNullOrEmpty(Command)
                   && (Path.GetFileName(cmdline[0]) == Path.GetFileName(Command) || cmdline.Contains(Command));
        }
    }

    /// <summary>True while the supervisor that wrote this file still runs; false if it is gone or unknown.</summary>
    [JsonIgnore]
    public bool SupervisorAlive => SupervisorIdentity is { } s && s.IsAlive;
}
