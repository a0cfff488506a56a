using System.Diagnostics;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// A shell script run with a launch tag of its own in its environment (and the test's tag, for the leak check), for
/// specs of what is found and signalled by launch tag. The script's process may lead its own session and group
/// (setsid), as a daemon does. Disposing kills whatever of it is left and reaps what was handed to this process.
/// </summary>
internal sealed class TaggedShell : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<ProcessIdentity> _members = [];

    public LaunchTag Tag { get; }
    public int Pid => _process.Id;
    public ProcessIdentity Identity { get; }

    private TaggedShell(Process process, LaunchTag tag, ProcessIdentity identity)
    {
        _process = process;
        Tag = tag;
        Identity = identity;
    }

    /// <summary>Starts <paramref name="script"/> under sh, and waits until the tag is on it (its exec is done).</summary>
    public static async Task<TaggedShell> StartAsync(TestProject project, string script, bool setsid = false, IDictionary<string, string>? env = null)
    {
        // Members the shell leaves behind come to this process, which reaps them, rather than to an init that may not.
        Reaper.Enable();
        var tag = LaunchTag.New(project.Dir, "s" + project.Tag, "d");
        var info = new ProcessStartInfo(setsid ? "setsid" : "sh") { UseShellExecute = false, RedirectStandardInput = true };
        if (setsid) info.ArgumentList.Add("sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment[LaunchTag.Variable] = tag.Format();
        info.Environment[TestProject.TagVariable] = project.Tag;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException("sh did not start");
        await Poll.Until(() => ProcFs.EnvironmentVariable(process.Id, LaunchTag.Variable) == tag.Format(), "the tag on the shell");
        var shell = new TaggedShell(process, tag, ProcessIdentity.Of(process.Id)!.Value);
        if (setsid)
            await Poll.Until(() => ProcFs.Stat(process.Id) is { } stat && stat.ProcessGroup == process.Id && stat.Session == process.Id,
                "the shell leading its own session and group");
        return shell;
    }

    /// <summary>Its only child, once that child runs <paramref name="program"/> (after its exec).</summary>
    public async Task<int> ChildRunning(string program)
    {
        var child = 0;
        await Poll.Until(() =>
        {
            child = ProcFs.Children(Pid).FirstOrDefault(c => ProcessScan.CommandLine(c) is [var argv0, ..] && Path.GetFileName(argv0) == program);
            return child > 0;
        }, $"a child of {Pid} running {program}");
        if (ProcFs.Stat(child) is { } stat) _members.Add(new ProcessIdentity(child, stat.StartTime));
        return child;
    }

    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public Task WaitForExit() => _process.WaitForExitAsync().WaitAsync(Poll.Patience);

    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
            if (ProcFs.Stat(m.Pid)?.StartTime == m.StartTime) Native.kill(m.Pid, Native.SIGKILL);
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync().WaitAsync(Poll.Patience);
        _process.Dispose();
        // A member that outlived the shell was handed to this process (a subreaper) or to init: reap it if it is ours.
        var self = Environment.ProcessId;
        foreach (var m in _members)
        {
            await Poll.Until(() =>
            {
                if (ProcFs.Stat(m.Pid) is not { } stat || stat.StartTime != m.StartTime) return true;
                if (stat.ParentPid == self && stat.IsZombie) Native.waitpid(m.Pid, out _, Native.WNOHANG);
                return false;
            }, $"member {m.Pid} of the tagged shell reaped");
        }
    }
}
