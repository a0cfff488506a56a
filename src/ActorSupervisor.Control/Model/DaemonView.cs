using System.Text.Json.Serialization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Control.Model;

/// <summary>One daemon as the control API shows it: its live state and everything an operator asks about.</summary>
internal sealed record DaemonView
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("session")] public required string Session { get; init; }
    /// <summary>A DaemonState word: starting, running, stopping, stopped, failed, restarting, unhealthy.</summary>
    [JsonPropertyName("state")] public required string State { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("port")] public int Port { get; init; }
    [JsonPropertyName("restarts")] public int Restarts { get; init; }
    [JsonPropertyName("consecutive_failures")] public int ConsecutiveFailures { get; init; }
    [JsonPropertyName("last_failure")] public FailureRecord? LastFailure { get; init; }
    /// <summary>Why it is in its state, when that needs saying: "waiting for db (healthy)", "completed", a failed dependency.</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    /// <summary>A one-shot task whose last run exited 0.</summary>
    [JsonPropertyName("completed")] public bool Completed { get; init; }
    [JsonPropertyName("last_health")] public DateTimeOffset? LastHealth { get; init; }
    [JsonPropertyName("started_at")] public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Seconds since the current process started; null without a process.</summary>
    [JsonPropertyName("uptime_seconds")] public double? UptimeSeconds { get; init; }
    [JsonPropertyName("command")] public string Command { get; init; } = "";
    [JsonPropertyName("args")] public IReadOnlyList<string> Args { get; init; } = [];
    [JsonPropertyName("log_path")] public string? LogPath { get; init; }
    /// <summary>The daemons this one waits for (depends_on, and ports it wires in): who is affected when one of them stops.</summary>
    [JsonPropertyName("depends_on")] public IReadOnlyList<string> DependsOn { get; init; } = [];
    [JsonPropertyName("adopted")] public bool Adopted { get; init; }

    public static DaemonView From(ManagedDaemon d, DateTimeOffset now) => new()
    {
        Name = d.Name,
        Session = d.OwnerId,
        State = d.State.ToWord(),
        Pid = d.Pid,
        Port = d.Port,
        Restarts = d.Restarts,
        ConsecutiveFailures = d.ConsecutiveFailures,
        LastFailure = d.LastFailure,
        Reason = d.Reason,
        Completed = d.Completed,
        LastHealth = d.LastHealth,
        StartedAt = d.StartedAt,
        UptimeSeconds = d.Pid > 0 && d.State.IsActive() && d.StartedAt is { } at ? Math.Max(0, Math.Round((now - at).TotalSeconds, 3)) : null,
        Command = d.Spec.Command,
        Args = d.Spec.Args,
        LogPath = d.LogPath,
        DependsOn = d.Spec.DependencyNames.Order(StringComparer.Ordinal).ToList(),
        Adopted = d.Adopted,
    };
}

/// <summary>A daemon of another session under the same project, from its PID file; read-only.</summary>
internal sealed record ForeignView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("owner_id")] string OwnerId,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("alive")] bool Alive,
    [property: JsonPropertyName("supervisor_alive")] bool SupervisorAlive);

/// <summary>GET /v1/status: the supervisor and every daemon of its session.</summary>
internal sealed record StatusView
{
    [JsonPropertyName("session")] public required string Session { get; init; }
    [JsonPropertyName("supervisor_pid")] public int SupervisorPid { get; init; }
    [JsonPropertyName("project_dir")] public string ProjectDir { get; init; } = "";
    [JsonPropertyName("state_dir")] public string StateDir { get; init; } = "";
    /// <summary>The TCP listener's base URL, when there is one.</summary>
    [JsonPropertyName("http")] public string? Http { get; init; }
    [JsonPropertyName("spec_source")] public string? SpecSource { get; init; }
    [JsonPropertyName("daemons")] public IReadOnlyList<DaemonView> Daemons { get; init; } = [];
    /// <summary>Other sessions' daemons under the same project (only with ?foreign=true).</summary>
    [JsonPropertyName("foreign")] public IReadOnlyList<ForeignView> Foreign { get; init; } = [];
}

/// <summary>One line of the event stream: a daemon's snapshot, as of now (type snapshot) or after a change (type state).</summary>
internal sealed record EventView
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }
    [JsonPropertyName("previous")] public string? Previous { get; init; }
    [JsonPropertyName("daemon")] public required DaemonView Daemon { get; init; }
}

/// <summary>POST /v1/reload: what the spec file's new contents changed.</summary>
internal sealed record ReloadView
{
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("added")] public IReadOnlyList<string> Added { get; init; } = [];
    [JsonPropertyName("removed")] public IReadOnlyList<string> Removed { get; init; } = [];
    [JsonPropertyName("restarted")] public IReadOnlyList<string> Restarted { get; init; } = [];
    [JsonPropertyName("unchanged")] public IReadOnlyList<string> Unchanged { get; init; } = [];
    [JsonPropertyName("failed")] public IReadOnlyList<ErrorView> Failed { get; init; } = [];
    [JsonPropertyName("notes")] public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Every error: a sentence for a person, the daemon it concerns, and for bad input each field at fault.</summary>
internal sealed record ErrorView
{
    [JsonPropertyName("error")] public required string Error { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("problems")] public IReadOnlyList<ProblemView>? Problems { get; init; }
}

internal sealed record ProblemView(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("problem")] string Problem);

/// <summary>GET /healthz: the health check's verdict.</summary>
internal sealed record HealthView
{
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("daemons")] public IReadOnlyDictionary<string, string> Daemons { get; init; } = new Dictionary<string, string>();
}
