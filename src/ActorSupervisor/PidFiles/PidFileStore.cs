using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Serialization;

namespace ActorSupervisor.PidFiles;

/// <summary>
/// The PID files of one state root: the one owner of the contract between supervisors (where files live, writing,
/// reading, verifying, removing, the lock beside each). JSON, written atomically (temp file + rename) with mode 0600
/// in 0700 directories that must be ours; every file is reached without following a symbolic link (see
/// <see cref="SafeFile"/>) and read with a cap, since anything under the state dir may be forged, stale or huge.
/// <para>
/// File names: <c>&lt;name&gt;-&lt;session&gt;</c> (NTM's) for a daemon name without '-', <c>&lt;name&gt;@&lt;session&gt;</c>
/// for one with '-'. Names and sessions never contain '@', so every file name belongs to exactly one (name, session):
/// with '-' in both, <c>a-b</c> of session <c>c</c> and <c>a</c> of session <c>b-c</c> would otherwise share one file.
/// </para>
/// </summary>
internal sealed class PidFileStore
{
    /// <summary>A PID file is a few hundred bytes; anything bigger than this is not read.</summary>
    public const int MaxPidFileBytes = 64 * 1024;

    /// <summary>The PID file format's options (source-generated: see <see cref="PidFileJsonContext"/>).</summary>
    public static readonly JsonSerializerOptions Json = PidFileJsonContext.Default.Options;

    private static readonly TimeSpan UntrackedSurveyTtl = TimeSpan.FromSeconds(10);

    public PidFileStore(string stateRoot) =>
        StateRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateRoot));

    public string StateRoot { get; }
    public string PidDir => Path.Combine(StateRoot, "pids");
    public string LogDir => Path.Combine(StateRoot, "logs");

    /// <summary>The unambiguous file stem of a (name, session): NTM's form when the name has no '-'.</summary>
    public static string Stem(string name, string sessionId) => name.Contains('-') ? $"{name}@{sessionId}" : $"{name}-{sessionId}";

    public string PathFor(string name, string sessionId) => Path.Combine(PidDir, Stem(name, sessionId) + ".pid");
    public string LockPathFor(string name, string sessionId) => Path.Combine(PidDir, Stem(name, sessionId) + ".lock");
    public string LogPathFor(string name, string sessionId) => Path.Combine(LogDir, Stem(name, sessionId) + ".log");

    /// <summary>Where NTM writes (and reads) the file; the same as <see cref="PathFor"/> unless the name has a '-'.</summary>
    public string NtmPathFor(string name, string sessionId) => Path.Combine(PidDir, $"{name}-{sessionId}.pid");

    /// <summary>A new launch of a daemon of this state root, for its environment and its PID file.</summary>
    public LaunchTag NewLaunch(string name, string sessionId) => LaunchTag.New(StateRoot, sessionId, name);

    /// <summary>Creates the state dir, pids/ and logs/ (0700), or makes existing ones private; refuses symlinks and other users' dirs.</summary>
    public void EnsureDirectories()
    {
        SafeFile.EnsureDirectory(StateRoot, tighten: true);
        SafeFile.EnsureDirectory(PidDir, tighten: true);
        SafeFile.EnsureDirectory(LogDir, tighten: true);
    }

    public void Write(string name, PidFileInfo info)
    {
        EnsureDirectories();
        SafeFile.WriteAtomically(PathFor(name, info.OwnerId), JsonSerializer.SerializeToUtf8Bytes(info, PidFileJsonContext.Default.PidFileInfo));
    }

    /// <summary>Reads one PID file; null when it does not exist or is not a usable PID file (a reader must not crash on junk).</summary>
    public static PidFileInfo? Read(string path) => ReadChecked(path) is ({ Pid: > 0 } info, null) ? info : null;

    public PidFileInfo? Read(string name, string sessionId) => Read(PathFor(name, sessionId));

    /// <summary>
    /// Reads one PID file: (info, null) when it parses; (null, why) when it exists but cannot be used (a symbolic
    /// link, not ours, too big, not JSON); (null, null) when it does not exist.
    /// </summary>
    public static (PidFileInfo? Info, string? Problem) ReadChecked(string path)
    {
        byte[]? bytes;
        bool tooBig;
        try { bytes = SafeFile.Read(path, MaxPidFileBytes, out tooBig); }
        catch (IOException e) { return (null, e.Message); }
        if (bytes is null) return (null, null);
        if (tooBig) return (null, $"it is larger than {MaxPidFileBytes / 1024} KB, so it is not a PID file");
        try
        {
            var info = JsonSerializer.Deserialize(bytes, PidFileJsonContext.Default.PidFileInfo);
            return info is null ? (null, "it is not a PID file (JSON null)") : (info, null);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path.TrimStart('$', '.')}";
            var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            return (null, $"it is not a PID file: not valid JSON or a field of the wrong type{where}{line}");
        }
    }

    /// <summary>
    /// Removes a daemon's file unconditionally. Only for the supervisor holding the daemon's lock: nobody else writes it.
    /// </summary>
    public void Delete(string name, string sessionId) => SafeFile.Delete(PathFor(name, sessionId));

    /// <summary>
    /// As <see cref="Delete"/>, but only if the file still describes <paramref name="pid"/> (or is unusable): for the
    /// lock holder cleaning up after a process it never adopted.
    /// </summary>
    public void Remove(string name, string sessionId, int pid)
    {
        var path = PathFor(name, sessionId);
        var (info, _) = ReadChecked(path);
        if (info is null || info.Pid == pid) SafeFile.Delete(path);
    }

    /// <summary>
    /// Removes a file on behalf of a reader that does not run the daemon (`stop`, a cleanup): only while holding the
    /// daemon's lock, so no supervisor runs it meanwhile (one that does would be rewriting the file for its new
    /// process), and only if the file still says what the reader saw. Returns null when the file is gone, else why
    /// it was left.
    /// </summary>
    public string? RemoveUnowned(PidFileReport entry, DaemonLock? heldLock = null)
    {
        DaemonLock? taken = null;
        if (heldLock is null)
        {
            try { taken = DaemonLock.TryAcquire(LockPathFor(entry)); }
            catch (IOException e) { return $"cannot take its lock: {e.Message}"; }
            if (taken is null) return "a running supervisor holds its daemon's lock";
        }
        try
        {
            var (now, problem) = ReadChecked(entry.Path);
            if (now is null && problem is null) return null;
            if (now?.Pid != entry.Info?.Pid || (now is null) != (entry.Info is null)) return "it was rewritten meanwhile";
            SafeFile.Delete(entry.Path);
            return null;
        }
        catch (IOException e)
        {
            return $"cannot remove it: {e.Message}";
        }
        finally
        {
            taken?.Dispose();
        }
    }

    /// <summary>The lock beside an entry's file (for a file whose pair is unknown, the one beside it by name).</summary>
    public string LockPathFor(PidFileReport entry) =>
        Validation.IsSafeName(entry.Name) && Validation.IsSafeName(entry.Session)
            ? LockPathFor(entry.Name, entry.Session)
            : Path.ChangeExtension(entry.Path, ".lock");

    /// <summary>Every usable PID file of the project, with its name and session taken from the file (or its file name).</summary>
    public IReadOnlyList<PidFileEntry> List() =>
        Inspect().Where(r => r.Info is { Pid: > 0 } && r.Problem is null)
            .Select(r => new PidFileEntry(r.Path, r.Name, r.Info!)).ToList();

    /// <summary>
    /// Every *.pid file, usable or not: garbage, negative PIDs, huge files, symbolic links and misplaced files are
    /// listed with the problem, so `status` shows them and `stop` can clean them up.
    /// </summary>
    public IReadOnlyList<PidFileReport> Inspect()
    {
        if (!Directory.Exists(PidDir)) return [];
        var reports = new List<PidFileReport>();
        foreach (var path in Directory.EnumerateFileSystemEntries(PidDir, "*.pid"))
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            var (info, problem) = ReadChecked(path);
            if (info is null)
            {
                // By the naming rule: name@session, or name-session with a name that has no '-'.
                var at = stem.IndexOf('@');
                if (at < 0) at = stem.IndexOf('-');
                var pair = at > 0 && Validation.IsSafeName(stem[..at]) && Validation.IsSafeName(stem[(at + 1)..]);
                reports.Add(pair ? new(path, stem[..at], stem[(at + 1)..], null, problem) : new(path, stem, "", null, problem));
                continue;
            }
            // Names from a file become paths (its lock's) and must follow the name rule, or "../" would reach out of pids/.
            if (!Validation.IsSafeName(info.OwnerId) || (info.Name is { } claimed && !Validation.IsSafeName(claimed)))
            {
                reports.Add(new(path, stem, "", info, "its name or owner_id is not a valid name (1 to 64 of [A-Za-z0-9._-])"));
                continue;
            }
            var suffix = "-" + info.OwnerId;
            var name = info.Name ?? (stem.EndsWith(suffix, StringComparison.Ordinal) ? stem[..^suffix.Length] : stem.Split('@')[0]);
            // Our files live at the one path of their pair; NTM's (no name field) at NTM's.
            var placed = path == PathFor(name, info.OwnerId) || (info.Name is null && path == NtmPathFor(name, info.OwnerId));
            var why = placed ? null : $"it describes daemon '{name}' of session '{info.OwnerId}', whose file is {Path.GetFileName(PathFor(name, info.OwnerId))}";
            reports.Add(new(path, name, info.OwnerId, info, why));
        }
        return reports.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Session, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Daemons of this state root running without a PID file: processes carrying a launch tag of this state root
    /// whose launch no PID file records (their supervisor was killed between spawning them and writing the file).
    /// </summary>
    public IReadOnlyList<UntrackedLaunch> Untracked(IReadOnlyCollection<string> recordedLaunchIds) =>
        Untracked(ProcessTable.Fresh(), recordedLaunchIds);

    private IReadOnlyList<UntrackedLaunch> Untracked(ProcessSnapshot snapshot, IReadOnlyCollection<string> recorded) =>
        snapshot.Tagged
            .Where(t => t.Tag.StateRoot == StateRoot && !recorded.Contains(t.Tag.LaunchId))
            .GroupBy(t => t.Tag.LaunchId)
            .Select(g => new UntrackedLaunch(g.First().Tag, g.OrderBy(t => t.Process.StartTime).ToList()))
            .OrderBy(u => u.Tag.Name, StringComparer.Ordinal).ThenBy(u => u.Tag.Session, StringComparer.Ordinal)
            .ToList();

    private readonly object _untrackedGate = new();
    private (long At, ProcessSnapshot Snapshot)? _untrackedSurvey;

    /// <summary>
    /// What `up` does with an earlier supervisor's traces before starting <paramref name="spec"/>: the PID file's
    /// process to adopt, if it is verifiably this spec's daemon of this session; stale and forged files removed
    /// (nothing they name is signalled); this session's daemon of an older spec, and untracked launches of this
    /// daemon whose supervisor is dead, killed (they are verifiably ours); an untracked launch that matches the spec
    /// adopted instead. The caller holds the daemon's lock. Throws <see cref="InvalidOperationException"/> when a live
    /// supervisor runs the daemon.
    /// </summary>
    public AdoptionVerdict DecideAdoption(DaemonSpec spec, string sessionId)
    {
        var notes = new List<string>();
        var handled = new HashSet<string>(StringComparer.Ordinal);
        PidFileInfo? adopt = null;
        var ours = PathFor(spec.Name, sessionId);
        foreach (var path in new[] { ours, NtmPathFor(spec.Name, sessionId) }.Distinct())
        {
            var (info, problem) = ReadChecked(path);
            if (info is null)
            {
                if (problem is null || path != ours) continue;
                notes.Add($"removing unusable PID file {path} ({problem}); nothing signalled");
                TryDelete(path, notes);
                continue;
            }
            // NTM's path of a name with '-' may hold another pair's file (or one of ours): only NTM's file of this pair counts.
            if (path != ours && !(info.IsNtmFormat && info.Name is null && info.OwnerId == sessionId)) continue;
            if (info.LaunchId is { } launchId) handled.Add(launchId);

            var forSpec = Ownership.VerifyForSpec(info, spec, sessionId);
            var live = forSpec.IsOurs ? forSpec : info.IsNtmFormat ? forSpec : Ownership.Verify(info, spec.Name, sessionId);
            if ((forSpec.IsOurs || live.ByLaunchTag) && info.SupervisorAlive && info.SupervisorPid != Environment.ProcessId)
                throw new InvalidOperationException(
                    $"daemon '{spec.Name}' of session '{sessionId}' is already run by supervisor pid {info.SupervisorPid}");
            if (forSpec.IsOurs && adopt is null)
            {
                adopt = info with { ProcessStartTime = forSpec.Identity!.Value.StartTime, ProcessGroup = info.Pid };
                if (path != ours)
                {
                    notes.Add($"adopting pid {info.Pid} from NTM's PID file {path}");
                    TryDelete(path, notes);
                }
                continue;
            }
            if (live.IsOurs && live.ByLaunchTag)
            {
                // This session's daemon, launched from another spec: it carries the launch id of our file, so it is
                // ours beyond doubt, and it goes. (Without that proof it is only left alone, never signalled.)
                notes.Add($"stopping pid {info.Pid}, this session's daemon from an earlier spec ({forSpec.Reason})");
                DaemonProcess.Adopt(live.Identity!.Value, info.Pid, info.StartedAt, info.LaunchId)?.Kill();
            }
            else
            {
                notes.Add($"removing stale PID file {path} ({live.Reason}); nothing signalled");
            }
            TryDelete(path, notes);
        }

        foreach (var launch in UntrackedFor(spec.Name, sessionId, handled))
        {
            if (launch.Tag.Supervisor != ProcessIdentity.Self && launch.SupervisorAlive)
            {
                notes.Add($"leaving pid {launch.Leader.Process.Pid} alone: launched by supervisor pid {launch.Tag.Supervisor.Pid}, which is running");
                continue;
            }
            if (adopt is null && AdoptableUntracked(launch, spec, sessionId) is { } found)
            {
                adopt = found;
                notes.Add($"adopting pid {found.Pid}, left without a PID file by a supervisor that died");
                continue;
            }
            notes.Add($"killing pid {string.Join(", ", launch.Members.Select(m => m.Process.Pid))}, left without a PID file by a supervisor that died");
            Signals.KillLaunch(launch.Tag.LaunchId);
        }
        return new AdoptionVerdict(adopt, notes);
    }

    /// <summary>
    /// Removes a file the adoption check has no use for. One that cannot be removed (a directory standing in its
    /// place) is noted, not thrown: the daemon's start goes on and fails on its PID file, that daemon alone.
    /// </summary>
    private static void TryDelete(string path, List<string> notes)
    {
        try { SafeFile.Delete(path); }
        catch (IOException e) { notes.Add($"cannot remove {path}: {e.Message}"); }
    }

    private IEnumerable<UntrackedLaunch> UntrackedFor(string name, string sessionId, HashSet<string> handled)
    {
        ProcessSnapshot snapshot;
        lock (_untrackedGate)
        {
            // A dead supervisor starts nothing new, so one survey serves a whole mass start.
            if (_untrackedSurvey is not { } survey || Environment.TickCount64 - survey.At > UntrackedSurveyTtl.TotalMilliseconds)
                _untrackedSurvey = survey = (Environment.TickCount64, ProcessTable.Fresh());
            snapshot = survey.Snapshot;
        }
        return Untracked(snapshot, handled).Where(u => u.Tag.Name == name && u.Tag.Session == sessionId)
            .Select(u => u with { Members = u.Members.Where(m => ProcFs.Stat(m.Process.Pid)?.StartTime == m.Process.StartTime).ToList() })
            .Where(u => u.Members.Count > 0);
    }

    /// <summary>An untracked launch's leader as a PID file would have described it, if it runs exactly what the spec launches.</summary>
    private static PidFileInfo? AdoptableUntracked(UntrackedLaunch launch, DaemonSpec spec, string sessionId)
    {
        var leader = launch.Leader.Process;
        if (leader.ProcessGroup != leader.Pid || leader.Session != leader.Pid) return null;
        var portText = ProcFs.EnvironmentVariable(leader.Pid, "PORT");
        var port = int.TryParse(portText, out var p) && p is > 0 and < 65536 ? p : 0;
        if (spec.WantsPort && port == 0) return null;
        if (ProcFs.CommandLine(leader.Pid) is not { } cmdline || !cmdline.SequenceEqual(spec.Argv(port))) return null;
        return new PidFileInfo
        {
            Pid = leader.Pid, Port = port, OwnerId = sessionId, Command = spec.Command,
            StartedAt = ProcFs.WallClock(leader.StartTime) ?? DateTimeOffset.UtcNow,
            Name = spec.Name, Args = spec.Args.ToArray(), ProcessStartTime = leader.StartTime, ProcessGroup = leader.Pid,
            LaunchId = launch.Tag.LaunchId, Argv = cmdline.ToArray(),
        };
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
            var own = ownDaemonNames.Select(n => Stem(n, session) + ".pid").ToHashSet(StringComparer.Ordinal);
            var seen = new HashSet<string>();
            foreach (var path in Directory.EnumerateFileSystemEntries(PidDir, "*.pid"))
            {
                if (own.Contains(Path.GetFileName(path))) continue;
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

internal sealed record PidFileEntry(string Path, string Name, PidFileInfo Info);

/// <summary>
/// One *.pid file as found: <see cref="Info"/> when it parses, <see cref="Problem"/> when it cannot be used as it
/// is (then nothing it names is ever signalled). <see cref="Session"/> is empty when neither content nor name tell it.
/// </summary>
internal sealed record PidFileReport(string Path, string Name, string Session, PidFileInfo? Info, string? Problem);

/// <summary>A launch found by its tag in /proc whose PID file does not exist: its members, oldest first.</summary>
internal sealed record UntrackedLaunch(LaunchTag Tag, IReadOnlyList<TaggedProcess> Members)
{
    /// <summary>The process that was launched (the oldest member: every other one descends from it).</summary>
    public TaggedProcess Leader => Members[0];

    public bool SupervisorAlive => Tag.Supervisor is { Pid: > 1 } s && s.IsAlive;
}

/// <summary>The outcome of <see cref="PidFileStore.DecideAdoption"/>: what to adopt (or null: start fresh), and what was done, for the log.</summary>
internal sealed record AdoptionVerdict(PidFileInfo? Adopt, IReadOnlyList<string> Notes);
