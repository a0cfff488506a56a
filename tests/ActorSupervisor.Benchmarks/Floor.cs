using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// What the machine allows, measured in the same run with the same benchdaemon and plain .NET, no supervisor: the
/// cost of one Process.Start, of seeing a kill -9 exit, of the smallest possible restart, and at N daemons the
/// cost of starting, probing and stopping them all. Each supervisor figure is printed beside its floor.
/// </summary>
internal sealed class Floor(BenchContext ctx)
{
    public sealed record Results
    {
        /// <summary>Process.Start call to its return.</summary>
        public required Stats SpawnReturnMs { get; init; }

        /// <summary>Before Process.Start to the start time the daemon records.</summary>
        public required Stats SpawnToStartMs { get; init; }

        /// <summary>Before kill -9 to Process.WaitForExitAsync completing (.NET's SIGCHLD path).</summary>
        public required Stats KillToExitWaitMs { get; init; }

        /// <summary>Before kill -9 to its pidfd turning readable in poll (what the supervisor's exit watcher uses).</summary>
        public required Stats KillToExitPidfdMs { get; init; }

        /// <summary>Launching a trivial .NET program (this one, with --hello-child) to its Main running.</summary>
        public required Stats DotnetStartupMs { get; init; }

        /// <summary>The smallest .NET restart: kill -9, await the exit, Process.Start again; kill to the new recorded start.</summary>
        public required Stats RestartMs { get; init; }

        /// <summary>N Process.Start in a row (ports allocated first): first launch to the last recorded start.</summary>
        public required double StartNLastMs { get; init; }

        /// <summary>... to every daemon having answered GET /health through one HttpClient.</summary>
        public required double StartNHealthyMs { get; init; }

        /// <summary>A .NET child probing the N daemons every interval: CPU % of one core, PSS and RSS.</summary>
        public required double IdleCpuPercent { get; init; }
        public required double IdlePssMb { get; init; }
        public required double IdleUssMb { get; init; }
        public required double IdleRssMb { get; init; }

        /// <summary>The same probes through the library's HttpProber watches, no actors: CPU % and PSS.</summary>
        public required double ProberIdleCpuPercent { get; init; }
        public required double ProberIdlePssMb { get; init; }

        /// <summary>The runtimeconfig the prober ran with (the CLI's), or null for defaults.</summary>
        public string? IdleRuntimeConfig { get; init; }

        /// <summary>SIGTERM to each of N daemons in a loop, until the last has exited.</summary>
        public required double StopNMs { get; init; }
    }

    private StartsLog _starts = null!;

    public async Task<Results> RunAsync()
    {
        _starts = new StartsLog(Path.Combine(ctx.TempDir, "floor-starts.txt"));
        var iterations = ctx.Options.FloorIterations;

        ctx.Progress($"floor: Process.Start and kill -9 of benchdaemon, {iterations} times");
        var spawnReturn = new List<double>();
        var spawnToStart = new List<double>();
        var killToExitWait = new List<double>();
        var killToExitPidfd = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var t0 = Native.NowNs();
            var p = Spawn(0);
            var t1 = Native.NowNs();
            var started = _starts.WaitForStart(p.Id, TimeSpan.FromSeconds(10))
                          ?? throw new BenchmarkFailure($"floor: benchdaemon pid {p.Id} never recorded its start");
            spawnReturn.Add(Ms(t1 - t0));
            spawnToStart.Add(Ms(started - t0));

            Thread.Sleep(10); // let it reach its epoll_wait, as a running daemon would be
            using var exitWaiter = new ExitWaiter([p.Id]);
            long waitNs = 0;
            var waited = p.WaitForExitAsync().ContinueWith(_ => waitNs = Native.NowNs(), TaskContinuationOptions.ExecuteSynchronously);
            var tKill = Native.NowNs();
            Native.kill(p.Id, Native.SIGKILL);
            if (!exitWaiter.WaitAll(TimeSpan.FromSeconds(10))) throw new BenchmarkFailure($"floor: pid {p.Id} did not exit after kill -9");
            await waited;
            killToExitPidfd.Add(Ms(exitWaiter.ExitedAt[p.Id] - tKill));
            killToExitWait.Add(Ms(waitNs - tKill));
            Forget(p);
        }

        ctx.Progress($"floor: restart (kill -9, await exit, Process.Start), {iterations} times");
        var restart = new List<double>();
        var victim = Spawn(0);
        if (_starts.WaitForStart(victim.Id, TimeSpan.FromSeconds(10)) is null)
            throw new BenchmarkFailure($"floor: benchdaemon pid {victim.Id} never recorded its start");
        for (var i = 0; i < iterations; i++)
        {
            Thread.Sleep(10);
            var tKill = Native.NowNs();
            Native.kill(victim.Id, Native.SIGKILL);
            await victim.WaitForExitAsync();
            var next = Spawn(0);
            Forget(victim);
            victim = next;
            var started = _starts.WaitForStart(victim.Id, TimeSpan.FromSeconds(10))
                          ?? throw new BenchmarkFailure($"floor: benchdaemon pid {victim.Id} never recorded its start");
            restart.Add(Ms(started - tKill));
        }
        Native.kill(victim.Id, Native.SIGKILL);
        await victim.WaitForExitAsync();
        Forget(victim);

        var dotnetStartup = DotnetStartup(Math.Max(3, iterations / 5));
        var (startLast, startHealthy, daemons, ports) = await StartManyAsync(ctx.Options.Daemons);
        var idle = await IdleProbeChildAsync(ports, "--probe-child");
        var proberIdle = await IdleProbeChildAsync(ports, "--probe-child-prober");
        var stop = StopMany(daemons);

        return new Results
        {
            SpawnReturnMs = Stats.Of(spawnReturn),
            SpawnToStartMs = Stats.Of(spawnToStart),
            KillToExitWaitMs = Stats.Of(killToExitWait),
            KillToExitPidfdMs = Stats.Of(killToExitPidfd),
            RestartMs = Stats.Of(restart),
            DotnetStartupMs = dotnetStartup,
            StartNLastMs = startLast,
            StartNHealthyMs = startHealthy,
            IdleCpuPercent = idle.CpuPercent,
            IdlePssMb = idle.PssMb,
            IdleUssMb = idle.UssMb,
            IdleRssMb = idle.RssMb,
            ProberIdleCpuPercent = proberIdle.CpuPercent,
            ProberIdlePssMb = proberIdle.PssMb,
            IdleRuntimeConfig = ProbeChildRuntimeConfig,
            StopNMs = stop,
        };
    }

    private async Task<(double LastMs, double HealthyMs, List<Process> Daemons, List<int> Ports)> StartManyAsync(int n)
    {
        ctx.Progress($"floor: start {n} benchdaemons with Process.Start and probe them until healthy");
        var t0 = Native.NowNs();
        var ports = FreePorts(n);
        var daemons = new List<Process>(n);
        foreach (var port in ports) daemons.Add(Spawn(port));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30 + n / 10);
        long last = 0;
        foreach (var d in daemons)
        {
            var started = _starts.WaitForStart(d.Id, deadline - DateTime.UtcNow)
                          ?? throw new BenchmarkFailure($"floor: benchdaemon pid {d.Id} never recorded its start");
            last = Math.Max(last, started);
        }

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) })
        { Timeout = TimeSpan.FromSeconds(2) };
        await Task.WhenAll(ports.Select(async port =>
        {
            var url = new Uri($"http://127.0.0.1:{port}/health");
            while (true)
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                if (DateTime.UtcNow > deadline) throw new BenchmarkFailure($"floor: benchdaemon on port {port} never answered /health");
                await Task.Delay(5);
            }
        }));
        var healthy = Native.NowNs();
        return (Ms(last - t0), Ms(healthy - t0), daemons, ports);
    }

    private Stats DotnetStartup(int times)
    {
        ctx.Progress($"floor: start-up of a trivial .NET program, {times} times");
        var (exe, prefix) = SelfCommand();
        var samples = new List<double>();
        for (var i = 0; i < times; i++)
        {
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var a in prefix) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("--hello-child");
            var t0 = Native.NowNs();
            using var child = Process.Start(psi) ?? throw new BenchmarkFailure("floor: could not start the hello child");
            var line = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (!long.TryParse(line.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var inMain))
                throw new BenchmarkFailure($"floor: the hello child printed '{line.Trim()}'");
            samples.Add(Ms(inMain - t0));
        }
        return Stats.Of(samples);
    }

    private async Task<Idle> IdleProbeChildAsync(List<int> ports, string mode)
    {
        var portsFile = Path.Combine(ctx.TempDir, "floor-ports.txt");
        await File.WriteAllLinesAsync(portsFile, ports.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var (exe, prefix) = ProbeChildCommand();
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(portsFile);
        psi.ArgumentList.Add("1000");
        psi.Environment["BENCH_TAG"] = ctx.Tag;
        using var child = Process.Start(psi) ?? throw new BenchmarkFailure("floor: could not start the probe child");
        ctx.Track(child);
        try
        {
            var readLine = child.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(readLine, Task.Delay(TimeSpan.FromSeconds(30))) != readLine || await readLine != "ready")
                throw new BenchmarkFailure("floor: the probe child never saw every daemon healthy");
            ctx.Progress($"floor: idle .NET prober ({mode}) of {ports.Count} daemons every 1 s, measured over {ctx.Options.IdleSeconds} s");
            Thread.Sleep(ctx.Options.IdleSettle);
            return Idle.Measure(child.Id, ctx.Options.IdleSeconds);
        }
        finally
        {
            Native.kill(child.Id, Native.SIGKILL);
            await child.WaitForExitAsync();
            ctx.Untrack(child);
        }
    }

    private double StopMany(List<Process> daemons)
    {
        ctx.Progress($"floor: SIGTERM to {daemons.Count} benchdaemons until none is left");
        using var waiter = new ExitWaiter(daemons.Select(d => d.Id));
        var t0 = Native.NowNs();
        foreach (var d in daemons) Native.kill(d.Id, Native.SIGTERM);
        if (!waiter.WaitAll(TimeSpan.FromSeconds(30))) throw new BenchmarkFailure($"floor: {waiter.Remaining.Count} benchdaemons ignored SIGTERM");
        var last = waiter.ExitedAt.Values.DefaultIfEmpty(t0).Max();
        foreach (var d in daemons)
        {
            d.WaitForExit(5000);
            Forget(d);
        }
        return Ms(last - t0);
    }

    private Process Spawn(int port)
    {
        var psi = new ProcessStartInfo(ctx.DaemonPath) { UseShellExecute = false };
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.Environment["BENCH_STARTS"] = _starts.Path;
        psi.Environment["BENCH_TAG"] = ctx.Tag;
        var p = Process.Start(psi) ?? throw new BenchmarkFailure("floor: Process.Start returned null");
        ctx.Track(p);
        return p;
    }

    private void Forget(Process p)
    {
        ctx.Untrack(p);
        p.Dispose();
    }

    /// <summary>N distinct free loopback ports: all bound at once (so none repeats), then released.</summary>
    private static List<int> FreePorts(int n)
    {
        var sockets = new List<Socket>(n);
        try
        {
            for (var i = 0; i < n; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToList();
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>
    /// The idle floor runs with the supervisor's own runtime settings (its runtimeconfig.json: thread-pool spinning,
    /// tiered PGO, GC mode...), so the two differ only in what their code does: <c>dotnet exec --runtimeconfig
    /// &lt;the CLI's&gt; &lt;this dll&gt;</c>. Without a dotnet host or the CLI's runtimeconfig, plain defaults.
    /// </summary>
    private (string Exe, string[] Prefix) ProbeChildCommand()
    {
        var config = Directory.Exists(Path.GetDirectoryName(ctx.Cli))
            ? Directory.EnumerateFiles(Path.GetDirectoryName(ctx.Cli)!, "*.runtimeconfig.json").FirstOrDefault()
            : null;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Locate.OnPath("dotnet");
        if (config is null || dotnet is null)
        {
            ctx.Progress("floor: the probe child runs with default runtime settings (no CLI runtimeconfig or dotnet host found)");
            return SelfCommand();
        }
        ProbeChildRuntimeConfig = config;
        return (dotnet, ["exec", "--runtimeconfig", config, typeof(Floor).Assembly.Location]);
    }

    public string? ProbeChildRuntimeConfig { get; private set; }

    /// <summary>How to run this benchmark again as a child: its apphost, or `dotnet &lt;dll&gt;`.</summary>
    private static (string Exe, string[] Prefix) SelfCommand()
    {
        var exe = Environment.ProcessPath ?? throw new BenchmarkFailure("cannot tell this program's own path");
        return Path.GetFileNameWithoutExtension(exe) == "dotnet"
            ? (exe, [typeof(Floor).Assembly.Location])
            : (exe, []);
    }

    private static double Ms(long ns) => ns / 1e6;
}
