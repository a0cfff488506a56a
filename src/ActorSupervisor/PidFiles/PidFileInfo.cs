using System.Text.Json.Serialization;
using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// What a PID file says. The first five fields are NTM's and mean the same here; the rest are ours, written beside
/// them so that a later supervisor (or `actorsupervisor status`) can tell our daemon from a process that merely
/// inherited its PID, and can tell whether the supervisor that owns it is still alive. Everything in it is a claim:
/// <see cref="Ownership"/> decides whether the process it names is the daemon it describes.
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

    /// <summary>The launch tag in the daemon's environment (see <see cref="LaunchTag"/>): finds its detached descendants.</summary>
    [JsonPropertyName("launch_id")] public string? LaunchId { get; init; }

    /// <summary>The full argv as launched, port flag included; what /proc/&lt;pid&gt;/cmdline must show.</summary>
    [JsonPropertyName("argv")] public IReadOnlyList<string>? Argv { get; init; }

    /// <summary>The file that was executed (the command resolved on PATH): a script's interpreter shows it in its argv.</summary>
    [JsonPropertyName("executable")] public string? Executable { get; init; }

    /// <summary>The daemon's recorded identity, when this file has one (NTM's files do not).</summary>
    [JsonIgnore]
    public ProcessIdentity? Identity => ProcessStartTime is { } t ? new ProcessIdentity(Pid, t) : null;

    [JsonIgnore]
    public ProcessIdentity? SupervisorIdentity =>
        SupervisorPid is { } p && SupervisorStartTime is { } t ? new ProcessIdentity(p, t) : null;

    /// <summary>Written by NTM's Go supervisor (or in its format): no start time, no owning supervisor recorded.</summary>
    [JsonIgnore]
    public bool IsNtmFormat => ProcessStartTime is null && SupervisorPid is null;

    /// <summary>True when the process this file describes is running now, by <see cref="Ownership.Verify"/>'s rules.</summary>
    [JsonIgnore]
    public bool IsAlive => Ownership.Verify(this).IsOurs;

    /// <summary>True while the supervisor that wrote this file still runs; false if it is gone or unknown.</summary>
    [JsonIgnore]
    public bool SupervisorAlive => SupervisorIdentity is { Pid: > 1 } s && s.IsAlive;
}
