using System.Globalization;
using System.Text;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// The fixed key=value lines `up` writes when stdout is not a terminal. Benchmarks and scripts parse them, so the
/// keys, their order and the time format never change; new information goes to stderr instead.
/// </summary>
internal static class LogLine
{
    public static string State(DateTimeOffset at, ManagedDaemon daemon)
    {
        var line = new StringBuilder()
            .Append("ts=").Append(Timestamp(at))
            .Append(" daemon=").Append(daemon.Name)
            .Append(" state=").Append(daemon.State.ToWord())
            .Append(" pid=").Append(daemon.Pid.ToString(CultureInfo.InvariantCulture))
            .Append(" port=").Append(daemon.Port.ToString(CultureInfo.InvariantCulture))
            .Append(" restarts=").Append(daemon.Restarts.ToString(CultureInfo.InvariantCulture));
        // Why the daemon is in this state (waiting for a dependency, completed...), else why its last run failed.
        if ((daemon.Reason ?? daemon.LastFailure?.ToString()) is { } reason) line.Append(" reason=").Append(Quote(reason));
        return line.ToString();
    }

    public static string SupervisorUp(DateTimeOffset at, string session, int pid, int daemons) =>
        string.Create(CultureInfo.InvariantCulture, $"ts={Timestamp(at)} supervisor=up session={session} pid={pid} daemons={daemons}");

    public static string SupervisorStopped(DateTimeOffset at) => $"ts={Timestamp(at)} supervisor=stopped";

    /// <summary>RFC 3339 in UTC with milliseconds: 2026-11-26T08:30:37.123Z.</summary>
    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A double-quoted value that stays on one line: backslash, quote and control characters escaped.</summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else quoted.Append(c);
                    break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
