using System.Diagnostics;
using System.Text.Json;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.PidFiles;

/// <summary>
/// What `up` decides from an earlier supervisor's traces (<see cref="PidFileStore.DecideAdoption"/>), called directly:
/// which process it adopts, which files it removes, what it kills, and the note it writes for each, on real files and
/// real processes.
/// </summary>
public sealed class AdoptionDecisionSpecs : IAsyncLifetime
{
    private readonly TestProject _project = new();
    private readonly List<DaemonProcess> _daemons = [];
    private readonly PidFileStore _store;
    private PidFileStore Store => _store; // one store, as one `up` has: its survey of untracked launches is cached

    public AdoptionDecisionSpecs() => _store = _project.Store;
    private string Session => _project.SessionId;

    private DaemonProcess Track(DaemonProcess process)
    {
        _daemons.Add(process);
        return process;
    }

    private void Plant(string path, string contents)
    {
        Store.EnsureDirectories();
        File.WriteAllText(path, contents);
    }

    [Fact]
    public void Without_traces_nothing_is_adopted_or_noted_and_an_unusable_file_at_the_pairs_path_is_removed_saying_so()
    {
        var spec = _project.Daemon("web");
        var none = Store.DecideAdoption(spec, Session);
        Assert.Null(none.Adopt);
        Assert.Empty(none.Notes);

        var path = Store.PathFor("web", Session);
        Plant(path, "garbage");
        var verdict = Store.DecideAdoption(spec, Session);
        Assert.Null(verdict.Adopt);
        Assert.Equal($"removing unusable PID file {path} (it is not a PID file: not valid JSON or a field of the wrong type (line 1)); nothing signalled",
            Assert.Single(verdict.Notes));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_directory_standing_at_the_pairs_path_is_noted_as_not_removable()
    {
        var path = Store.PathFor("web", Session);
        Store.EnsureDirectories();
        Directory.CreateDirectory(path);
        var verdict = Store.DecideAdoption(_project.Daemon("web"), Session);
        Assert.Null(verdict.Adopt);
        Assert.Equal(2, verdict.Notes.Count);
        Assert.StartsWith($"removing unusable PID file {path} (", verdict.Notes[0]);
        Assert.StartsWith($"cannot remove {path}: ", verdict.Notes[1]);
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void At_NTMs_path_of_a_dashed_name_only_NTMs_file_of_that_pair_counts()
    {
        var spec = _project.Daemon("api-v2");
        var ntmPath = Store.NtmPathFor("api-v2", Session);
        var dead = new PidFileInfo { Pid = 999_999_999, OwnerId = Session, Command = "/bin/web", StartedAt = DateTimeOffset.UtcNow };
        string Json(PidFileInfo info) => JsonSerializer.Serialize(info, PidFileStore.Json);

        // Not NTM's file of this pair: garbage, our file of another name, our file without a name, NTM's of another session.
        foreach (var other in new[]
                 {
                     "garbage",
                     Json(dead with { Name = "other", ProcessStartTime = 12345 }),
                     Json(dead with { ProcessStartTime = 12345 }),
                     Json(dead with { Name = "api-v2" }),
                     Json(dead with { OwnerId = "v2-" + Session }),
                 })
        {
            Plant(ntmPath, other);
            var left = Store.DecideAdoption(spec, Session);
            Assert.Null(left.Adopt);
            Assert.Empty(left.Notes);
            Assert.True(File.Exists(ntmPath), other);
        }

        // NTM's file of this pair, stale: removed.
        Plant(ntmPath, Json(dead));
        var verdict = Store.DecideAdoption(spec, Session);
        Assert.Equal($"removing stale PID file {ntmPath} (no such process); nothing signalled", Assert.Single(verdict.Notes));
        Assert.False(File.Exists(ntmPath));
    }

    [Fact]
    public void A_live_daemon_in_NTMs_file_of_a_dashed_name_is_adopted_and_the_file_removed()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("setsid", "sleep 30") { UseShellExecute = false })!;
        try
        {
            SpinWait.SpinUntil(() => ProcFs.Stat(sleeper.Id) is { } s && s.ProcessGroup == sleeper.Id && ProcFs.CommandLine(sleeper.Id)?[0] == "sleep",
                TimeSpan.FromSeconds(10));
            var spec = _project.Daemon("api-v2") with { Command = "sleep", Args = ["30"] };
            var ntmPath = Store.NtmPathFor("api-v2", Session);
            Plant(ntmPath, JsonSerializer.Serialize(
                new PidFileInfo { Pid = sleeper.Id, OwnerId = Session, Command = "sleep", StartedAt = DateTimeOffset.UtcNow }, PidFileStore.Json));

            var verdict = Store.DecideAdoption(spec, Session);

            Assert.Equal(sleeper.Id, verdict.Adopt?.Pid);
            Assert.Equal(sleeper.Id, verdict.Adopt?.ProcessGroup);
            Assert.Equal(ProcFs.Stat(sleeper.Id)!.Value.StartTime, verdict.Adopt?.ProcessStartTime);
            Assert.Equal($"adopting pid {sleeper.Id} from NTM's PID file {ntmPath}", Assert.Single(verdict.Notes));
            Assert.False(File.Exists(ntmPath));
            Assert.False(sleeper.HasExited);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void This_specs_daemon_in_its_file_is_adopted_with_nothing_noted_and_left_running()
    {
        var spec = _project.Daemon("web", "--stdout-lines", "1");
        var daemon = Track(Orphans.Leave(_project, Store, spec));

        var verdict = Store.DecideAdoption(spec, Session);

        Assert.Equal(daemon.Pid, verdict.Adopt?.Pid);
        Assert.Empty(verdict.Notes);
        Assert.False(daemon.HasExited);
        Assert.True(File.Exists(Store.PathFor("web", Session)));
    }

    [Fact]
    public async Task This_sessions_daemon_from_an_earlier_spec_is_killed_and_its_file_removed()
    {
        var daemon = Track(Orphans.Leave(_project, Store, _project.Daemon("web", "--stdout-lines", "1")));

        var verdict = Store.DecideAdoption(_project.Daemon("web", "--stdout-lines", "2"), Session);

        Assert.Null(verdict.Adopt);
        Assert.Equal(
            $"stopping pid {daemon.Pid}, this session's daemon from an earlier spec (the file records the command " +
            $"'{TestDaemon.Path} --stdout-lines 1', not this spec's '{TestDaemon.Path} --stdout-lines 2')",
            Assert.Single(verdict.Notes));
        await daemon.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(Store.PathFor("web", Session)));
    }

    [Fact]
    public void A_daemon_whose_supervisor_is_another_live_process_is_refused_naming_it_for_this_spec_and_an_earlier_one()
    {
        var spec = _project.Daemon("web", "--stdout-lines", "1");
        var daemon = Track(Orphans.Launch(_project, Store, spec, 0));
        var supervisor = daemon.Identity; // any live process that is not us stands for another supervisor
        Store.Write("web", Orphans.Describe(daemon, spec, Session, 0, supervisor));

        foreach (var asked in new[] { spec, _project.Daemon("web", "--stdout-lines", "2") })
        {
            var e = Assert.Throws<InvalidOperationException>(() => Store.DecideAdoption(asked, Session));
            Assert.Equal($"daemon 'web' of session '{Session}' is already run by supervisor pid {supervisor.Pid}", e.Message);
        }
        Assert.False(daemon.HasExited);
        Assert.True(File.Exists(Store.PathFor("web", Session)));
    }

    [Fact]
    public void An_untracked_launch_of_a_running_supervisor_is_left_alone_saying_so()
    {
        var spec = _project.Daemon("web");
        var other = Track(Orphans.Launch(_project, Store, _project.Daemon("other"), 0)); // stands for that supervisor
        var daemon = Track(Orphans.Launch(_project, Store, spec, 0, supervisor: other.Identity));
        SpinWait.SpinUntil(() => LaunchTag.Of(daemon.Pid) is not null, TimeSpan.FromSeconds(10));

        var verdict = Store.DecideAdoption(spec, Session);

        Assert.Null(verdict.Adopt);
        Assert.Equal($"leaving pid {daemon.Pid} alone: launched by supervisor pid {other.Pid}, which is running", Assert.Single(verdict.Notes));
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public async Task Of_two_untracked_launches_of_a_dead_supervisor_one_is_adopted_with_its_port_and_start_and_the_other_killed()
    {
        var spec = _project.HttpDaemon("web");
        var dead = Orphans.DeadProcess();
        var first = Track(Orphans.Launch(_project, Store, spec, TestPorts.Unbound(), supervisor: dead));
        var second = Track(Orphans.Launch(_project, Store, spec, TestPorts.Unbound(), supervisor: dead));
        SpinWait.SpinUntil(() => LaunchTag.Of(first.Pid) is not null && LaunchTag.Of(second.Pid) is not null, TimeSpan.FromSeconds(10));

        var before = DateTimeOffset.UtcNow;
        var verdict = Store.DecideAdoption(spec, Session);

        var adopted = verdict.Adopt!;
        var (kept, killed) = adopted.Pid == first.Pid ? (first, second) : (second, first);
        Assert.Equal(kept.Pid, adopted.Pid);
        Assert.Equal(int.Parse(ProcFs.EnvironmentVariable(kept.Pid, "PORT")!), adopted.Port);
        // When it started (to a clock tick, which rounds down), not when it was found.
        Assert.True(adopted.StartedAt < before, $"{adopted.StartedAt:O} is not before {before:O}");
        Assert.True((ProcFs.WallClock(kept.Identity.StartTime)!.Value - adopted.StartedAt).Duration() < TimeSpan.FromSeconds(1));
        Assert.Equal(
            [$"adopting pid {kept.Pid}, left without a PID file by a supervisor that died", $"killing pid {killed.Pid}, left without a PID file by a supervisor that died"],
            verdict.Notes.OrderBy(n => n.StartsWith("killing", StringComparison.Ordinal)));
        await killed.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(kept.HasExited);
    }

    [Theory]
    [InlineData("70000")]
    [InlineData("65536")]
    [InlineData("-5")]
    public void An_untracked_launch_with_a_forged_out_of_range_PORT_is_adopted_without_a_port(string forged)
    {
        // The environment is the launch's to forge: a PORT no socket can have is no port at all.
        var spec = _project.Daemon("web");
        var launched = Track(Orphans.Launch(_project, Store, spec with { Env = [..spec.Env, $"PORT={forged}"] }, 0, supervisor: Orphans.DeadProcess()));
        SpinWait.SpinUntil(() => LaunchTag.Of(launched.Pid) is not null, TimeSpan.FromSeconds(10));
        Assert.Equal(forged, ProcFs.EnvironmentVariable(launched.Pid, "PORT"));

        var adopted = Store.DecideAdoption(spec, Session).Adopt;

        Assert.Equal((launched.Pid, 0), (adopted?.Pid, adopted?.Port));
    }

    [Fact]
    public async Task An_untracked_launch_that_is_not_the_specs_is_killed_naming_each_of_its_processes()
    {
        var grandchildren = Path.Combine(_project.Dir, "grandchildren");
        var launched = Track(Orphans.Launch(_project, Store, _project.Daemon("web", "--spawn-grandchildren", "1", "--grandchild-pids", grandchildren),
            0, supervisor: Orphans.DeadProcess()));
        Assert.True(SpinWait.SpinUntil(() => File.Exists(grandchildren), TimeSpan.FromSeconds(30)));
        var grandchild = int.Parse(File.ReadAllLines(grandchildren).Single());

        var verdict = new PidFileStore(Store.StateRoot).DecideAdoption(_project.Daemon("web"), Session); // a fresh survey, which sees both

        Assert.Null(verdict.Adopt);
        Assert.Equal($"killing pid {launched.Pid}, {grandchild}, left without a PID file by a supervisor that died", Assert.Single(verdict.Notes));
        await launched.Exit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(SpinWait.SpinUntil(() => !ProcessScan.IsAlive(grandchild), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task One_survey_of_untracked_launches_serves_a_mass_start_and_a_launch_that_died_since_is_passed_over()
    {
        var spec = _project.Daemon("web");
        Assert.Empty(Store.DecideAdoption(_project.Daemon("other"), Session).Notes); // the survey, taken with nothing running
        var late = Track(Orphans.Launch(_project, Store, spec, 0, supervisor: Orphans.DeadProcess()));
        SpinWait.SpinUntil(() => LaunchTag.Of(late.Pid) is not null, TimeSpan.FromSeconds(10));
        var verdict = Store.DecideAdoption(spec, Session);
        Assert.Null(verdict.Adopt); // launched after the survey: a dead supervisor launches nothing new, so it is not looked for
        Assert.Empty(verdict.Notes);

        var store = new PidFileStore(Store.StateRoot); // a fresh survey, which sees it
        Assert.Empty(store.DecideAdoption(_project.Daemon("other"), Session).Notes);
        await late.StopAsync(TimeSpan.FromSeconds(10));
        var after = store.DecideAdoption(spec, Session);
        Assert.Null(after.Adopt);
        Assert.Empty(after.Notes);
    }

    [Fact]
    public void Untracked_launches_are_listed_by_name_then_session_each_led_by_its_oldest_process()
    {
        var dead = Orphans.DeadProcess();
        Track(Orphans.Launch(_project, Store, _project.Daemon("b"), 0, "s1", dead));
        var parent = Track(Orphans.Launch(_project, Store,
            _project.Daemon("a", "--spawn-grandchildren", "1", "--grandchild-pids", Path.Combine(_project.Dir, "grandchildren")), 0, "s2", dead));
        Track(Orphans.Launch(_project, Store, _project.Daemon("a"), 0, "s1", dead));
        Assert.True(SpinWait.SpinUntil(() => Store.Untracked([]).Sum(u => u.Members.Count) == 4, TimeSpan.FromSeconds(30)));

        var launches = Store.Untracked([]);

        Assert.Equal([("a", "s1"), ("a", "s2"), ("b", "s1")], launches.Select(u => (u.Tag.Name, u.Tag.Session)));
        Assert.Equal(2, launches[1].Members.Count);
        Assert.Equal(parent.Pid, launches[1].Leader.Process.Pid); // the grandchild started later
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
