using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

/// <summary>
/// The ports other sessions' live daemons hold, from their PID files: real daemons left by a dead supervisor, files
/// changed and removed between surveys (one survey a second at most, so the spec waits past it).
/// </summary>
public sealed class PortSurveySpecs : IAsyncLifetime
{
    private static readonly TimeSpan PastTheSurvey = TimeSpan.FromMilliseconds(1100);
    private readonly TestProject _project = new();
    private readonly List<DaemonProcess> _daemons = [];
    private PidFileStore Store => _project.Store;

    private (DaemonProcess Process, PidFileInfo Info) Leave(string name, string session, int port)
    {
        var spec = _project.Daemon(name);
        var process = Orphans.Launch(_project, Store, spec, port, session);
        _daemons.Add(process);
        return (process, Orphans.Describe(process, spec, session, port, Orphans.DeadProcess()));
    }

    [Fact]
    public async Task A_changed_file_is_read_again_and_a_removed_one_forgotten()
    {
        var store = Store;
        var (first, second) = (TestPorts.Unbound(), TestPorts.Unbound());
        var (_, info) = Leave("api", "other", first);
        store.Write("api", info);
        Assert.Equal([first], store.PortsHeldByOthers("me", new HashSet<string>()));

        await Task.Delay(PastTheSurvey);
        store.Write("api", info with { Port = second });
        Assert.Equal([second], store.PortsHeldByOthers("me", new HashSet<string>()));

        await Task.Delay(PastTheSurvey);
        store.Delete("api", "other");
        Assert.Empty(store.PortsHeldByOthers("me", new HashSet<string>()));
    }

    [Fact]
    public async Task A_file_is_read_again_only_when_its_write_time_changes_or_after_it_was_removed()
    {
        var store = Store;
        var (first, second) = (TestPorts.Unbound(), TestPorts.Unbound());
        var (_, info) = Leave("api", "other", first);
        var path = store.PathFor("api", "other");
        store.Write("api", info);
        var written = File.GetLastWriteTimeUtc(path);
        Assert.Equal([first], store.PortsHeldByOthers("me", new HashSet<string>()));

        await Task.Delay(PastTheSurvey);
        store.Write("api", info with { Port = second });
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal([first], store.PortsHeldByOthers("me", new HashSet<string>())); // same write time: not read again

        await Task.Delay(PastTheSurvey);
        store.Delete("api", "other");
        Assert.Empty(store.PortsHeldByOthers("me", new HashSet<string>()));
        store.Write("api", info with { Port = second });
        File.SetLastWriteTimeUtc(path, written);
        await Task.Delay(PastTheSurvey);
        Assert.Equal([second], store.PortsHeldByOthers("me", new HashSet<string>())); // a removed file was forgotten
    }

    [Fact]
    public void Files_named_for_this_sessions_own_daemons_and_files_of_this_session_are_skipped()
    {
        var store = Store;
        var (named, own, other) = (TestPorts.Unbound(), TestPorts.Unbound(), TestPorts.Unbound());
        var (_, a) = Leave("a", "other", named);
        var (_, b) = Leave("b", "me", own);
        var (_, c) = Leave("c", "other", other);
        store.EnsureDirectories();
        // Another session's live daemon, in a file named as this session's own daemon "mine": skipped by name, unread.
        File.WriteAllBytes(store.PathFor("mine", "me"), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(a, PidFileStore.Json));
        store.Write("b", b);
        store.Write("c", c);
        var (_, d) = Leave("d", "other", TestPorts.Unbound());
        File.WriteAllBytes(Path.Combine(store.PidDir, "d-other.json"), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(d, PidFileStore.Json)); // not a *.pid

        var held = store.PortsHeldByOthers("me", new HashSet<string> { "mine" });

        Assert.Equal([other], held);
        held.Add(1); // the caller's copy
        Assert.Equal([other], store.PortsHeldByOthers("me", new HashSet<string> { "mine" }));
    }

    [Fact]
    public void Without_a_pids_dir_no_port_is_held()
    {
        Assert.Empty(Store.PortsHeldByOthers("me", new HashSet<string>()));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons) await d.StopAsync(TimeSpan.FromSeconds(5));
        foreach (var f in _project.PidFiles()) File.Delete(f);
        try { await _project.AssertNothingLeftBehind(); }
        finally { _project.Dispose(); }
    }
}
