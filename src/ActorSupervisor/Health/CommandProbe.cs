using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using ActorSupervisor.Processes;
using Microsoft.Win32.SafeHandles;

namespace ActorSupervisor.Health;

/// <summary>
/// Runs a health command (an argv, no shell) with the daemon's environment and work dir; exit 0 is healthy.
/// It runs like a daemon does: posix_spawn in a session and process group of its own, so that the whole group
/// (a shell's background jobs included) is killed when it times out and after it exits, and nothing it started
/// outlives the probe. Its output (stdout and stderr together) is read to the end but only the first
/// <see cref="OutputLimit"/> bytes are kept: a command that prints without end costs a bounded buffer until its timeout.
/// </summary>
internal static class CommandProbe
{
    public const int OutputLimit = 64 * 1024;
    private const int MessageLimit = 200;

    /// <summary>What one run of a command gave.</summary>
    public sealed record Outcome(int? ExitCode, int? Signal, bool TimedOut, string Output, bool OutputTruncated, string? StartError);

    public static async Task<ProbeResult> CheckAsync(IReadOnlyList<string> argv, string workDir,
        IReadOnlyList<KeyValuePair<string, string>> environment, TimeSpan timeout)
    {
        var run = await RunAsync(argv, workDir, environment, timeout).ConfigureAwait(false);
        if (run.StartError is { } error) return ProbeResult.Fail($"health command '{argv[0]}' could not start: {error}");
        if (run.TimedOut) return ProbeResult.Fail($"health command '{argv[0]}' timed out after {timeout.TotalMilliseconds:0} ms");
        if (run.ExitCode == 0) return ProbeResult.Ok;
        var text = run.Output.Trim();
        if (text.Length > MessageLimit) text = text[..MessageLimit];
        var how = run.Signal is { } s ? $"was killed by signal {s}" : $"exited with code {run.ExitCode}";
        return ProbeResult.Fail($"health command '{argv[0]}' {how}" + (text.Length > 0 ? $": {text}" : ""));
    }

    /// <summary>Runs the command to its end (or its timeout), then kills whatever is left of its process group.</summary>
    public static async Task<Outcome> RunAsync(IReadOnlyList<string> argv, string workDir,
        IReadOnlyList<KeyValuePair<string, string>> environment, TimeSpan timeout)
    {
        string executable;
        var env = DaemonProcess.BuildEnvironment(environment);
        try
        {
            if (!Directory.Exists(workDir)) throw new DaemonLaunchException($"work dir '{workDir}' does not exist");
            executable = CommandPath.Resolve(argv[0], workDir, env.GetValueOrDefault("PATH"));
        }
        catch (DaemonLaunchException e)
        {
            return new Outcome(null, null, false, "", false, e.Message);
        }

        var (ours, theirs) = SocketPair();
        int pid;
        try
        {
            // A socket rather than a pipe: .NET reads a socket asynchronously without holding a thread.
            using (theirs) pid = DaemonProcess.Spawn(executable, argv, env, workDir, theirs);
        }
        catch (DaemonLaunchException e)
        {
            ours.Dispose();
            return new Outcome(null, null, false, "", false, e.Message);
        }

        using var pidFd = PidFd.Open(pid);
        using var socket = new Socket(ours);
        var output = ReadBoundedAsync(socket);
        var exited = pidFd is null ? Task.CompletedTask : ExitWatcher.Shared.WhenExited(pidFd.Fd);
        var timedOut = await Task.WhenAny(exited, Task.Delay(timeout)).ConfigureAwait(false) != exited;

        // The leader is unreaped (exited or not), so its group id is still its own: kill the group, then reap.
        if (pidFd is not null && pidFd.Send(Native.SIGKILL, Native.PIDFD_SIGNAL_PROCESS_GROUP) == Native.EINVAL)
            Native.kill(-pid, Native.SIGKILL);
        await exited.ConfigureAwait(false);
        int? code = null, signal = null;
        int r, status;
        do r = Native.waitpid(pid, out status, 0);
        while (r < 0 && Marshal.GetLastPInvokeError() == Native.EINTR);
        Reaper.Release(pid);
        if (r == pid)
        {
            if (Native.WIfExited(status)) code = Native.WExitStatus(status);
            else if (Native.WIfSignaled(status)) signal = Native.WTermSig(status);
        }

        // Everything that could write is dead, so the end of the output comes at once; a descendant that left the
        // group may still hold it open, and is not waited for. Closing our end ends the read with what came so far
        // (the pending receive is aborted), so what the command said is kept either way, not only when the read won.
        await Task.WhenAny(output, Task.Delay(TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
        socket.Close();
        var (text, truncated) = await output.ConfigureAwait(false);
        return new Outcome(timedOut ? null : code, timedOut ? null : signal, timedOut, text, truncated, null);
    }

    private static async Task<(string Text, bool Truncated)> ReadBoundedAsync(Socket socket)
    {
        var kept = new byte[OutputLimit];
        var length = 0;
        var truncated = false;
        var sink = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var target = length < kept.Length ? kept.AsMemory(length) : sink.AsMemory();
                var n = await socket.ReceiveAsync(target, SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                if (length < kept.Length) length += n;
                else truncated = true;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        return (Encoding.UTF8.GetString(kept, 0, length), truncated);
    }

    private static unsafe (SafeSocketHandle Ours, SafeFileHandle Theirs) SocketPair()
    {
        var fds = stackalloc int[2];
        if (Native.socketpair(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0, fds) != 0)
            throw new IOException($"socketpair: {Native.ErrorText(Marshal.GetLastPInvokeError())}");
        return (new SafeSocketHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }
}
