using System.Net;

namespace ActorSupervisor.Health;

/// <summary>
/// GET a loopback URL; any 2xx is healthy. One client for the whole process, so probes of a thousand daemons reuse
/// pooled keep-alive connections instead of opening a socket (and a TIME_WAIT) per probe.
/// </summary>
public static class HttpProbe
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        // Each probe carries its own deadline.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static async Task<ProbeResult> CheckAsync(Uri url, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token)
                .ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 300 ? ProbeResult.Ok : ProbeResult.Fail($"GET {url} answered {code}");
        }
        catch (OperationCanceledException)
        {
            return ProbeResult.Fail($"GET {url} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            return ProbeResult.Fail($"GET {url} failed: {e.Message}");
        }
    }
}
