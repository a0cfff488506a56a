using System.Diagnostics;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Ports;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Ports;

/// <summary>
/// Port claims between supervisors of one project, on real lock files in a temp state dir: two claimers in this
/// process are two <see cref="PortClaims"/> on the same dir (an OS lock is per open file, so they exclude each other
/// as two processes would), and a real process holds a claim where a dead holder matters.
/// </summary>
public sealed class PortClaimsSpecs : IDisposable
{
    private readonly TestProject _project = new();
    private string StateRoot => Path.Combine(_project.Dir, ".ntm");
    private string LockFile(int port) => Path.Combine(StateRoot, "ports", $"{port}.lock");

    public void Dispose() => _project.Dispose();

    [Fact]
    public void A_claim_is_a_lock_file_named_by_the_port_under_the_state_roots_ports_dir()
    {
        var claims = new PortClaims(StateRoot);
        Assert.Equal(Path.Combine(StateRoot, "ports"), claims.Dir);
        Assert.True(claims.TryClaim(4100));
        Assert.True(File.Exists(LockFile(4100)));
        Assert.Equal(Environment.ProcessId, DaemonLock.HolderPid(LockFile(4100)));
        claims.ReleaseAll();
    }

    [Fact]
    public void Of_two_claimers_of_one_port_only_the_first_wins_and_the_winner_may_claim_it_again()
    {
        var first = new PortClaims(StateRoot);
        var second = new PortClaims(StateRoot);

        Assert.True(first.TryClaim(4101));
        Assert.False(second.TryClaim(4101));
        Assert.True(first.TryClaim(4101)); // held already: still ours
        Assert.False(second.TryClaim(4101));
        Assert.True(second.TryClaim(4102)); // another port is another claim

        first.ReleaseAll();
        second.ReleaseAll();
    }

    [Fact]
    public void A_released_claim_removes_its_file_and_the_other_claimer_can_take_the_port()
    {
        var first = new PortClaims(StateRoot);
        var second = new PortClaims(StateRoot);
        Assert.True(first.TryClaim(4103));
        Assert.True(first.TryClaim(4104));

        first.Release(4103);

        Assert.False(File.Exists(LockFile(4103)));
        Assert.True(File.Exists(LockFile(4104))); // only the port released
        Assert.True(second.TryClaim(4103));
        Assert.False(second.TryClaim(4104));

        first.Release(4103); // not held any more: nothing happens, the other's claim stands
        first.Release(4999); // never held
        Assert.True(File.Exists(LockFile(4103)));
        Assert.False(new PortClaims(StateRoot).TryClaim(4103));

        first.ReleaseAll();
        second.ReleaseAll();
    }

    [Fact]
    public void Release_all_drops_every_claim_and_a_later_claim_takes_the_lock_again()
    {
        var first = new PortClaims(StateRoot);
        var second = new PortClaims(StateRoot);
        Assert.True(first.TryClaim(4105));
        Assert.True(first.TryClaim(4106));

        first.ReleaseAll();

        Assert.False(File.Exists(LockFile(4105)));
        Assert.False(File.Exists(LockFile(4106)));
        Assert.Empty(Directory.GetFiles(first.Dir));

        // Forgotten, not merely unlocked: claiming again locks a file again, so the other claimer is refused.
        Assert.True(first.TryClaim(4105));
        Assert.True(File.Exists(LockFile(4105)));
        Assert.False(second.TryClaim(4105));
        Assert.True(second.TryClaim(4106));

        first.ReleaseAll();
        second.ReleaseAll();
        Assert.Empty(Directory.GetFiles(first.Dir));
    }

    [Fact]
    public void The_ports_dir_is_made_private_even_if_it_was_created_open()
    {
        Directory.CreateDirectory(Path.Combine(StateRoot, "ports"));
        File.SetUnixFileMode(Path.Combine(StateRoot, "ports"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var claims = new PortClaims(StateRoot);

        Assert.True(claims.TryClaim(4107));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.Combine(StateRoot, "ports")));
        claims.ReleaseAll();
    }

    [Fact]
    public void A_claim_file_left_without_a_live_holder_is_taken_over()
    {
        Directory.CreateDirectory(Path.Combine(StateRoot, "ports"));
        File.SetUnixFileMode(Path.Combine(StateRoot, "ports"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(LockFile(4108), "999999999 0123456789abcdef\n"); // a supervisor long gone

        var claims = new PortClaims(StateRoot);
        Assert.True(claims.TryClaim(4108));
        Assert.Equal(Environment.ProcessId, DaemonLock.HolderPid(LockFile(4108)));

        claims.ReleaseAll();
        Assert.False(File.Exists(LockFile(4108)));
    }

    [Fact]
    public async Task A_claim_held_by_another_live_process_is_refused_until_that_process_dies()
    {
        var claims = new PortClaims(StateRoot);
        Assert.True(claims.TryClaim(4109)); // creates the private ports dir
        claims.Release(4109);
        var ready = Path.Combine(_project.Dir, "ready");

        // flock(1) takes the same kind of lock the supervisor does, then says so and sleeps holding it.
        var start = new ProcessStartInfo("/usr/bin/flock")
        {
            ArgumentList = { "-n", LockFile(4109), "/bin/sh", "-c", $"echo held > '{ready}'; exec sleep 60" },
        };
        start.Environment[TestProject.TagVariable] = _project.Tag;
        using (var holder = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(ready))
            {
                Assert.False(holder.HasExited, "flock could not take the lock");
                Assert.True(DateTime.UtcNow < deadline, "flock did not take the lock within 30 s");
                await Task.Delay(20);
            }

            Assert.False(claims.TryClaim(4109));
            Assert.True(File.Exists(LockFile(4109))); // a refused claim leaves the holder's file alone

            // The holder dies (SIGKILL: it cleans nothing up); the kernel drops its lock and the file stays behind.
            foreach (var pid in _project.LiveProcesses()) Process.GetProcessById(pid).Kill();
            await _project.AssertNothingLeftBehind();
        }

        Assert.True(File.Exists(LockFile(4109)));
        Assert.True(claims.TryClaim(4109));
        Assert.Equal(Environment.ProcessId, DaemonLock.HolderPid(LockFile(4109)));
        claims.ReleaseAll();
        Assert.False(File.Exists(LockFile(4109)));
    }
}
