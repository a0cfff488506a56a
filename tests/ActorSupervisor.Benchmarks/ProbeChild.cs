using System.Globalization;
using System.Net;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// The idle floor: a .NET process that does nothing but GET http://127.0.0.1:&lt;port&gt;/health of every daemon every
/// interval with one pooled keep-alive HttpClient (set up as the supervisor's probe is). The benchmark runs it as a
/// child (<c>--probe-child PORTS_FILE INTERVAL_MS</c>) and measures its CPU and memory from outside, exactly as it
/// measures the supervisor. Prints "ready" once every daemon has answered.
/// </summary>
internal static class ProbeChild
{
    public static async Task<int> RunAsync(string portsFile, int intervalMs)
    {
        var urls = Urls(portsFile);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        { Timeout = Timeout.InfiniteTimeSpan };

        var ready = false;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(intervalMs));
        do
        {
            var results = await Task.WhenAll(urls.Select(u => ProbeAsync(client, u)));
            if (!ready && results.All(ok => ok))
            {
                ready = true;
                Console.Out.WriteLine("ready");
                Console.Out.Flush();
            }
        }
        while (await timer.WaitForNextTickAsync());
        return 0;
    }

    private static Uri[] Urls(string portsFile) =>
        File.ReadAllLines(portsFile)
            .Where(l => l.Length > 0)
            .Select(l => new Uri($"http://127.0.0.1:{int.Parse(l, CultureInfo.InvariantCulture)}/health"))
            .ToArray();

    /// <summary>
    /// <c>--probe-child-prober</c>: the same probes through the library's <see cref="ActorSupervisor.Health.HttpProber"/>
    /// watches (one thread, pooled sockets, told only of changes), without any actor: what a probe can cost at best.
    /// </summary>
    public static async Task<int> RunProberAsync(string portsFile, int intervalMs)
    {
        var urls = Urls(portsFile);
        var healthy = 0;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watches = urls.Select(u =>
        {
            var seen = false;
            return ActorSupervisor.Health.HttpProber.Shared.Watch(u, TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromSeconds(2), r =>
            {
                if (!r.Healthy || seen) return;
                seen = true;
                if (Interlocked.Increment(ref healthy) == urls.Length) ready.TrySetResult();
            });
        }).ToList();
        await ready.Task;
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite);
        GC.KeepAlive(watches);
        return 0;
    }

    private static async Task<bool> ProbeAsync(HttpClient client, Uri url)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }
}
