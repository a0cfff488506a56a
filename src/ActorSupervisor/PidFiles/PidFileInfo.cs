using System.Text.Json.Serialization;
using ActorSupervisor.Processes;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// What a PID file says. The first five fields are NTM's and mean the same here; the rest are ours, written beside
/// them so that a later supervisor (or `actorsupervisor status`) can tell our daemon from a process that merely
/// inherited its PID, and can tell whether the supervisor that owns it is still alive. Everything in it is a claim
/// (the file may be stale or forged): <see cref="IsAlive"/> checks the process against it. Read it from
/// <c>&lt;state dir&gt;/pids/</c> (one <c>.pid</c> file per daemon) with System.Text.Json, reading a bounded amount.
/// </summary>
public sealed record PidFileInfo
{
    /// <summary>The daemon's process id (also its process group id when we launched it).</summary>
    [JsonPropertyName("pid")] public int Pid { get; init; }
    /// <summary>The port the daemon was given; 0 for none.</summary>
    [JsonPropertyName("port")] public int Port { get; init; }
    /// <summary>The session that owns the daemon.</summary>
    [JsonPropertyName("owner_id")] public string OwnerId { get; init; } = "";
    /// <summary>The daemon's command as its spec gives it.</summary>
    [JsonPropertyName("command")] public string Command { get; init; } = "";
    /// <summary>When the daemon was launched.</summary>
    [JsonPropertyName("started_at")] public DateTimeOffset StartedAt { get; init; }

    /// <summary>The daemon's name (NTM names it by the file name only); null in NTM's files.</summary>
    [JsonPropertyName("name")] public string? Name { get; init; }
    /// <summary>The spec's args, without the port flag; null in NTM's files.</summary>
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }

    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat when the daemon started: with the PID, its identity.</summary>
    [JsonPropertyName("process_start_time")] public ulong? ProcessStartTime { get; init; }
    /// <summary>The daemon's process group, which a stop signals as a whole; null in NTM's files.</summary>
    [JsonPropertyName("pgid")] public int? ProcessGroup { get; init; }
    /// <summary>The process id of the supervisor that wrote the file; null in NTM's files.</summary>
    [JsonPropertyName("supervisor_pid")] public int? SupervisorPid { get; init; }
    /// <summary>Field 22 of the supervisor's /proc/&lt;pid&gt;/stat: with its pid, the supervisor's identity.</summary>
    [JsonPropertyName("supervisor_start_time")] public ulong? SupervisorStartTime { get; init; }
    /// <summary>The daemon's log file.</summary>
    [JsonPropertyName("log_path")] public string? LogPath { get; init; }
    /// <summary>"persistent" or "ephemeral" (<see cref="ActorSupervisor.Daemons.DaemonLifetime"/>).</summary>
    [JsonPropertyName("lifetime")] public string? Lifetime { get; init; }
    /// <summary>The daemon's health URL as resolved at launch, for a later supervisor that adopts it.</summary>
    [JsonPropertyName("health_url")] public string? HealthUrl { get; init; }

    /// <summary>The launch tag in the daemon's environment (see <see cref="LaunchTag"/>): finds its detached descendants.</summary>
    [JsonPropertyName("launch_id")] public string? LaunchId { get; init; }

    /// <summary>The full argv as launched, port flag included; what /proc/&lt;pid&gt;/cmdline must show.</summary>
    [JsonPropertyName("argv")] public IReadOnlyList<string>? Argv { get; init; }

    /// <summary>The file that was executed (the command resolved on PATH): a script's interpreter shows it in its argv.</summary>
    [JsonPropertyName("executable")] public string? Executable { get; init; }

    /// <summary>The daemon's recorded identity, when this file has one (NTM's files do not).</summary>
    [JsonIgnore]
    internal ProcessIdentity? Identity => ProcessStartTime is { } t ? new ProcessIdentity(Pid, t) : null;

    [JsonIgnore]
    internal ProcessIdentity? SupervisorIdentity =>
        SupervisorPid is { } p && SupervisorStartTime is { } t ? new ProcessIdentity(p, t) : null;

    /// <summary>Written by NTM's Go supervisor (or in its format): no start time, no owning supervisor recorded.</summary>
    [JsonIgnore]
    public bool IsNtmFormat => ProcessStartTime is null && SupervisorPid is null;

    /// <summary>
    /// True when the process this file describes is running now and is that daemon: its pid, start time, group and
    /// command line match what the file records (NTM's files, without a start time, are checked as far as they allow).
    /// Reads /proc on every call.
    /// </summary>
    [JsonIgnore]
    public bool IsAlive => Ownership.Verify(this).IsOurs;

    /// <summary>True while the supervisor that wrote this file still runs (pid and start time); false if it is gone or unknown. Reads /proc.</summary>
    [JsonIgnore]
    public bool SupervisorAlive => SupervisorIdentity is { Pid: > 1 } s && s.IsAlive;
}
