using System.Diagnostics;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// For the hostile specs, a process a forged file points at, and that must never be signalled: it leads its own session and process group (so only a signal aimed at it
/// or its group reaches it) and records every catchable signal it receives. The assertion is "received no signal",
/// not merely "still alive"; SIGKILL, which cannot be recorded, shows as the bystander gone.
/// </summary>
internal sealed class TargetProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    public string SignalFile { get; }
    public int Pid => _process.Id;

    private TargetProcess(Process process, string dir, string signalFile)
    {
        _process = process;
        _dir = dir;
        SignalFile = signalFile;
    }

    /// <summary>Starts one and waits until its signal handlers are in place.</summary>
    public static async Task<TargetProcess> StartAsync(string? tag = null, string? executable = null)
    {
        var dir = Directory.CreateTempSubdirectory("actorsupervisor-bystander-").FullName;
        var signals = Path.Combine(dir, "signals");
        var ready = Path.Combine(dir, "ready");
        var info = new ProcessStartInfo(executable ?? TestDaemon.Path) { UseShellExecute = false };
        foreach (var a in new[] { "--setsid", "--record-signals", signals, "--ready-file", ready }) info.ArgumentList.Add(a);
        info.RedirectStandardOutput = true;
        if (tag is not null) info.Environment[TestProject.TagVariable] = tag;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(ready))
        {
            if (process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException("bystander did not become ready");
            await Task.Delay(10);
        }
        return new TargetProcess(process, dir, signals) { Identity = ProcessIdentity.Of(process.Id)!.Value };
    }

    /// <summary>Its pid and start time, as a forged PID file would record them to pass for a daemon.</summary>
    public ProcessIdentity Identity { get; private init; }

    /// <summary>The signals it has recorded so far, e.g. ["SIGTERM"] (the test daemon's record: "&lt;pid&gt; &lt;event&gt;" lines).</summary>
    public IReadOnlyList<string> Received => File.Exists(SignalFile)
        ? File.ReadAllLines(SignalFile).Select(l => l.Split(' ', 2) is [_, var e] ? e : l).Where(e => e.StartsWith("SIG", StringComparison.Ordinal)).ToList()
        : [];

    public bool Alive => !_process.HasExited && ProcessScan.IsAlive(Pid);

    /// <summary>True when it is alive and has received no signal at all.</summary>
    public bool Untouched => Alive && Received.Count == 0;

    public string Describe() => $"bystander {Pid}: {(Alive ? "alive" : "gone")}, received [{string.Join(", ", Received)}]";

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
