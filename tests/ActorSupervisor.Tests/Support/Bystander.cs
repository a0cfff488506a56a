using System.Diagnostics;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// A process that is not ours to signal, set up the way a daemon is: it leads its own session and process group
/// (setsid), so a wrongful kill(pid) or kill(-pgid) would reach it, and it records every catchable signal it
/// receives. "Never signalled" means its record holds nothing after "start" and it is still alive with the same
/// identity (SIGKILL cannot be recorded, but it can be seen).
/// </summary>
internal sealed class Bystander : IDisposable
{
    private readonly Process _process;

    public int Pid => _process.Id;
    public ProcessIdentity Identity { get; }
    public SignalRecord Record { get; }

    private Bystander(Process process, ProcessIdentity identity, SignalRecord record)
    {
        _process = process;
        Identity = identity;
        Record = record;
    }

    /// <summary>Starts one and waits until it leads its own group and its signal handlers are in place.</summary>
    public static async Task<Bystander> StartAsync(TestProject project, string name = "bystander")
    {
        var record = new SignalRecord(Path.Combine(project.Dir, $"{name}.signals"));
        var info = new ProcessStartInfo(TestDaemon.Path) { UseShellExecute = false };
        foreach (var arg in new[] { "--setsid", "--record-signals", record.Path }) info.ArgumentList.Add(arg);
        // Not tagged: it is no daemon of the test's, and the leak check must not count it.
        info.Environment.Remove(TestProject.TagVariable);
        info.Environment.Remove(SignalRecord.Variable);
        var process = Process.Start(info) ?? throw new InvalidOperationException("bystander did not start");
        try
        {
            await record.WaitFor(process.Id, "start");
            var identity = ProcessIdentity.Of(process.Id) ?? throw new InvalidOperationException("bystander vanished");
            var bystander = new Bystander(process, identity, record);
            Assert.Equal((process.Id, process.Id), bystander.GroupAndSession());
            return bystander;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>Process group and session, from /proc/&lt;pid&gt;/stat.</summary>
    public (int Group, int Session) GroupAndSession()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[2]), int.Parse(fields[3]));
    }

    public void AssertNeverSignalled()
    {
        Assert.Equal(["start"], Record.EventsOf(Pid));
        Assert.True(ProcessScan.IsAlive(Pid), $"bystander {Pid} is dead");
        Assert.Equal(Identity, ProcessIdentity.Of(Pid));
        Assert.Equal((Pid, Pid), GroupAndSession());
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
