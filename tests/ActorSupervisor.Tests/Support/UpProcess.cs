using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActorSupervisor.Tests.Support;

/// <summary>`actorsupervisor up` running as its own process, as a person or another supervisor would run it.</summary>
public sealed class UpProcess : IDisposable
{
    public static string CliPath { get; } = Path.Combine(TestDaemon.RepoRoot, "src", "ActorSupervisor.Cli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "actorsupervisor");

    private readonly Process _process;
    public ConcurrentQueue<string> Lines { get; } = new();
    public int Pid => _process.Id;

    private UpProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Lines.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static UpProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo(CliPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("up");
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return new UpProcess(Process.Start(info)!);
    }

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public void Signal(int signal) => ActorSupervisor.Processes.Native.kill(_process.Id, signal);

    public string Output => string.Join('\n', Lines);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}
