using System.Text.Json;
using ActorSupervisor.Serialization;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// The PID files of one project: &lt;state root&gt;/pids/&lt;name&gt;-&lt;session&gt;.pid, JSON, written atomically
/// (temp file + rename) with mode 0600 in a 0700 directory, so a reader never sees half a file and other users
/// never see it at all.
/// </summary>
public sealed class PidFileStore(string stateRoot)
{
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The PID file format's options (source-generated: see <see cref="PidFileJsonContext"/>).</summary>
    public static readonly JsonSerializerOptions Json = PidFileJsonContext.Default.Options;

    public string StateRoot { get; } = stateRoot;
    public string PidDir => Path.Combine(StateRoot, "pids");
    public string LogDir => Path.Combine(StateRoot, "logs");

    public string PathFor(string name, string sessionId) => Path.Combine(PidDir, $"{name}-{sessionId}.pid");
    public string LockPathFor(string name, string sessionId) => Path.Combine(PidDir, $"{name}-{sessionId}.lock");
    public string LogPathFor(string name, string sessionId) => Path.Combine(LogDir, $"{name}-{sessionId}.log");

    public void EnsureDirectories()
    {
        Directory.CreateDirectory(StateRoot, DirMode);
        Directory.CreateDirectory(PidDir, DirMode);
        Directory.CreateDirectory(LogDir, DirMode);
    }

    public void Write(string name, PidFileInfo info)
    {
        EnsureDirectories();
        var path = PathFor(name, info.OwnerId);
        var temp = Path.Combine(PidDir, $".{name}-{info.OwnerId}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile,
                   }))
            {
                JsonSerializer.Serialize(stream, info, PidFileJsonContext.Default.PidFileInfo);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads one PID file; null when it does not exist or is not a PID file (a reader must not crash on junk).</summary>
    public static PidFileInfo? Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var info = JsonSerializer.Deserialize(stream, PidFileJsonContext.Default.PidFileInfo);
            return info is { Pid: > 0 } ? info : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public PidFileInfo? Read(string name, string sessionId) => Read(PathFor(name, sessionId));

    /// <summary>
    /// Removes the file if it still describes <paramref name="pid"/>: a newer supervisor may have rewritten it for
    /// its own process, and that file is not ours to remove.
    /// </summary>
    public void Remove(string name, string sessionId, int pid)
    {
        var path = PathFor(name, sessionId);
        var info = Read(path);
        if (info is null || info.Pid == pid) File.Delete(path);
    }

    /// <summary>Every PID file of the project, with its name and session taken from the file (or its file name).</summary>
    public IReadOnlyList<PidFileEntry> List()
    {
        if (!Directory.Exists(PidDir)) return [];
        var entries = new List<PidFileEntry>();
        foreach (var path in Directory.EnumerateFiles(PidDir, "*.pid"))
        {
            var info = Read(path);
            if (info is null) continue;
            var stem = Path.GetFileNameWithoutExtension(path);
            var suffix = "-" + info.OwnerId;
            var name = info.Name ?? (stem.EndsWith(suffix, StringComparison.Ordinal) ? stem[..^suffix.Length] : stem);
            entries.Add(new PidFileEntry(path, name, info));
        }
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Info.OwnerId, StringComparer.Ordinal).ToList();
    }

    private readonly object _portsGate = new();
    private readonly Dictionary<string, (DateTime Stamp, PidFileInfo? Info)> _foreignFiles = [];
    private const long SurveyTtlMs = 1000;
    private long _surveyedAt = long.MinValue / 2;
    private HashSet<int> _lastSurvey = [];

    /// <summary>
    /// Ports recorded in live PID files of other sessions. A session's own files (named from its own daemons) are
    /// skipped without being read, since it tracks its own ports; other files are re-read only when they change,
    /// so a thousand daemons starting at once do not read a thousand files each.
    /// </summary>
    public HashSet<int> PortsHeldByOthers(string session, IReadOnlySet<string> ownDaemonNames)
    {
        var ports = new HashSet<int>();
        if (!Directory.Exists(PidDir)) return ports;
        lock (_portsGate)
        {
            // A thousand daemons starting at once would list the folder a thousand times: one survey a second is
            // enough, since a port another session has bound is refused by the bind check anyway.
            if (Environment.TickCount64 - _surveyedAt < SurveyTtlMs) return new HashSet<int>(_lastSurvey);
            var seen = new HashSet<string>();
            foreach (var path in Directory.EnumerateFiles(PidDir, "*.pid"))
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                if (stem.EndsWith("-" + session, StringComparison.Ordinal)
                    && ownDaemonNames.Contains(stem[..^(session.Length + 1)])) continue;
                seen.Add(path);
                var stamp = File.GetLastWriteTimeUtc(path);
                if (!_foreignFiles.TryGetValue(path, out var cached) || cached.Stamp != stamp)
                    _foreignFiles[path] = cached = (stamp, Read(path));
                if (cached.Info is { Port: > 0 } info && info.OwnerId != session && info.IsAlive) ports.Add(info.Port);
            }
            foreach (var gone in _foreignFiles.Keys.Where(k => !seen.Contains(k)).ToList()) _foreignFiles.Remove(gone);
            _lastSurvey = ports;
            _surveyedAt = Environment.TickCount64;
        }
        return new HashSet<int>(ports);
    }
}

public sealed record PidFileEntry(string Path, string Name, PidFileInfo Info);
