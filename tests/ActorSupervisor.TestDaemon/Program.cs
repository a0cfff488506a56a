using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ActorSupervisor.TestDaemon;

/// <summary>
/// A real child process for the supervisor's integration tests. Every misbehaviour a supervised daemon can show
/// (slow start, failing or hanging health, crashes, ignored SIGTERM, stray grandchildren, chatty output) is a flag.
/// </summary>
internal static class Program
{
    private static readonly TaskCompletionSource<int> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Disposing (or collecting) a registration restores the default signal behaviour, so they live as long as the process.
    private static PosixSignalRegistration? _sigterm;
    private static PosixSignalRegistration? _sigint;
    private static SignalRecorder? _recorder;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true)]
    private static extern nint signal(int sig, nint handler);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsid();

    private const nint SigDfl = 0;


    // Kept alive for the life of the process, like the SIGTERM/SIGINT registrations.

    private static int Main(string[] args)
    {
        long startTimestamp = Stopwatch.GetTimestamp();
        Options options;
        try
        {
            options = Options.Parse(args, Environment.GetEnvironmentVariable("PORT"),
                Environment.GetEnvironmentVariable(Options.RecordSignalsVariable));
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"testdaemon: {e.Message}");
            return 2;
        }

        if (options.Setsid && setsid() < 0)
        {
            Console.Error.WriteLine($"testdaemon: setsid failed (errno {Marshal.GetLastPInvokeError()})");
            return 2;
        }
        // Grandchildren inherit the environment but not the record: only the daemon itself speaks for its pid.
        if (options.RecordSignals is { } record && !options.Grandchild) _recorder = new SignalRecorder(record);

        // Signals first: a test may signal as soon as the pid file appears, and must see the configured behaviour.
        RegisterSignals(options.IgnoreSigterm, quiet: options.Grandchild);
        _recorder?.RecordOtherSignals();
        _recorder?.Write("start");

        // Daemonizing as a C daemon does (fork, setsid, [fork,] parent exits 0): the copy leads a new session.
        if (options.Daemonize > 0)
        {
            SpawnCopy(options.Rest.Prepend("--setsid").Concat(options.Daemonize > 1 ? ["--daemonize", (options.Daemonize - 1).ToString()] : []));
            return 0;
        }
        if (options.Grandchild) return Exit.Task.GetAwaiter().GetResult();

        int pid = Environment.ProcessId;
        if (options.PidFile is not null) WriteFileAtomically(options.PidFile, pid.ToString());
        Console.WriteLine(
            $"testdaemon {pid} port={(options.Port?.ToString() ?? "none")} args={string.Join(' ', args)}");

        WriteLines(Console.OpenStandardOutput(), options.StdoutLines);
        WriteLines(Console.OpenStandardError(), options.StderrLines);

        if (options.SpawnGrandchildren > 0) SpawnGrandchildren(options);

        if (options.ExitAfter is { } exitAfter)
            _ = AfterAsync(exitAfter, () => Terminate(options, $"exit-after {exitAfter.TotalSeconds}s elapsed"));

        if (options.LogEvery is { } every) _ = ChatterAsync(every);

        if (options.Port is not null) _ = ListenAsync(options, startTimestamp);
        else if (options.ReadyFile is not null) WriteFileAtomically(options.ReadyFile, "0");

        int code = Exit.Task.GetAwaiter().GetResult();
        _recorder?.Write($"exit {code}");
        return code;
    }

    private static async Task ChatterAsync(TimeSpan every)
    {
        const string padding = "the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog";
        for (long i = 1; ; i++)
        {
            await Task.Delay(every);
            Console.WriteLine($"tick {i} {padding}");
        }
    }

    /// <summary>
    /// Appends the name of every catchable signal received to <paramref name="file"/>, and otherwise ignores it: a
    /// bystander proves it was never signalled by an empty file (SIGKILL cannot be caught; it shows as the bystander gone).
    /// </summary>

    private static void SpawnCopy(IEnumerable<string> args)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            start.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location is { Length: > 0 } l ? l : Path.Combine(AppContext.BaseDirectory, "testdaemon.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var copy = Process.Start(start) ?? throw new InvalidOperationException("daemonized copy did not start");
        Console.WriteLine($"testdaemon {Environment.ProcessId}: daemonized as {copy.Id}, exiting 0");
        // A forked C daemon is fully formed the moment it exists; a .NET copy is exec'd, so give it a moment to be.
        Thread.Sleep(200);
    }

    private static void RegisterSignals(bool ignoreSigterm, bool quiet)
    {
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            _recorder?.Write("SIGTERM");
            if (ignoreSigterm)
            {
                if (!quiet) Console.WriteLine("testdaemon: SIGTERM ignored");
                return;
            }
            if (!quiet) Console.WriteLine("testdaemon: SIGTERM, exiting");
            Exit.TrySetResult(0);
        });
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            _recorder?.Write("SIGINT");
            if (!quiet) Console.WriteLine("testdaemon: SIGINT, exiting");
            Exit.TrySetResult(0);
        });
    }

    private static async Task ListenAsync(Options options, long startTimestamp)
    {
        try
        {
            if (options.SleepBeforeListen > TimeSpan.Zero) await Task.Delay(options.SleepBeforeListen);
            var server = new HealthServer(options, startTimestamp,
                n => Terminate(options, $"answered {n} health checks"));
            int boundPort = server.Start();
            if (options.ReadyFile is not null) WriteFileAtomically(options.ReadyFile, boundPort.ToString());
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"testdaemon: cannot listen on 127.0.0.1:{options.Port}: {e.Message}");
            Exit.TrySetResult(1);
        }
    }

    private static void Terminate(Options options, string reason)
    {
        if (options.CrashSignal is not { } sig)
        {
            Console.WriteLine($"testdaemon: {reason}, exiting with code {options.ExitCode}");
            Exit.TrySetResult(options.ExitCode);
            return;
        }

        Console.WriteLine($"testdaemon: {reason}, raising SIG{options.CrashSignalName}");
        // The runtime owns handlers for SEGV, ABRT, TERM and friends and would turn a self-sent signal into a managed
        // exception or a graceful exit; the default disposition makes the kernel report a genuine death by signal.
        signal(sig, SigDfl);
        kill(Environment.ProcessId, sig);
        Thread.Sleep(5000);
        Console.Error.WriteLine($"testdaemon: still alive after SIG{options.CrashSignalName}");
        Exit.TrySetResult(128 + sig);
    }

    private static void SpawnGrandchildren(Options options)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        bool viaDotnetHost = Path.GetFileNameWithoutExtension(exe) == "dotnet";
        string entryAssembly = Assembly.GetEntryAssembly()?.Location is { Length: > 0 } location
            ? location
            : Path.Combine(AppContext.BaseDirectory, "testdaemon.dll");

        var pids = new List<int>();
        for (int i = 0; i < options.SpawnGrandchildren; i++)
        {
            // Deliberately no setsid/setpgid: the grandchildren share our process group, so only a supervisor that
            // signals the whole group gets rid of them.
            var start = new ProcessStartInfo(exe) { UseShellExecute = false };
            if (viaDotnetHost) start.ArgumentList.Add(entryAssembly);
            start.ArgumentList.Add("--grandchild");
            if (options.IgnoreSigterm) start.ArgumentList.Add("--ignore-sigterm");
            using var process = Process.Start(start) ?? throw new InvalidOperationException("grandchild did not start");
            pids.Add(process.Id);
        }

        if (options.GrandchildPidsFile is not null)
            WriteFileAtomically(options.GrandchildPidsFile, string.Concat(pids.Select(p => $"{p}\n")));
        foreach (int p in pids) Console.WriteLine($"grandchild {p}");
    }

    private static void WriteLines(Stream stream, int count)
    {
        if (count == 0) return;
        // Buffered rather than Console's per-line autoflush, so a large count costs a few writes, not one each.
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 65536, leaveOpen: true);
        const string padding = "the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog";
        for (int i = 1; i <= count; i++) writer.WriteLine($"line {i} {padding}");
        writer.Flush();
    }

    private static async Task AfterAsync(TimeSpan delay, Action action)
    {
        await Task.Delay(delay);
        action();
    }

    private static void WriteFileAtomically(string path, string content)
    {
        // Tests poll for the file; a rename means they never see it half-written.
        string temp = $"{path}.tmp.{Environment.ProcessId}";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
