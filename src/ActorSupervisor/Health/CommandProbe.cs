using System.Diagnostics;

namespace ActorSupervisor.Health;

/// <summary>Runs a health command (an argv, no shell) with the daemon's environment and work dir; exit 0 is healthy.</summary>
public static class CommandProbe
{
    public static async Task<ProbeResult> CheckAsync(IReadOnlyList<string> argv, string workDir,
        IReadOnlyList<KeyValuePair<string, string>> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        for (var i = 1; i < argv.Count; i++) info.ArgumentList.Add(argv[i]);
        foreach (var (key, value) in environment) info.Environment[key] = value;

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ProbeResult.Fail($"health command '{argv[0]}' could not start: {e.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return ProbeResult.Fail($"health command '{argv[0]}' timed out after {timeout.TotalMilliseconds:0} ms");
            }
            if (process.ExitCode == 0) return ProbeResult.Ok;
            var err = (await output.ConfigureAwait(false)).Trim();
            if (err.Length > 200) err = err[..200];
            return ProbeResult.Fail($"health command '{argv[0]}' exited with code {process.ExitCode}" +
                                    (err.Length > 0 ? $": {err}" : ""));
        }
    }
}
