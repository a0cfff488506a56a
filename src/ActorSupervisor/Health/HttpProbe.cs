using System.Net;

namespace ActorSupervisor.Health;

/// <summary>
/// GET a loopback URL; any 2xx is healthy, redirects are not followed. http:// URLs with an IP address for a host (what
/// a relative health_url becomes) go through <see cref="HttpProber"/>: one thread and pooled keep-alive connections
/// for the whole process. Anything else (a host name, https) goes through one shared HttpClient, created on first use.
/// </summary>
internal static class HttpProbe
{
    /// <summary>
    /// One probe with its own deadline. For URLs the prober handles, the task completes on the prober's thread, so a
    /// continuation should be short (PipeTo's Tell is).
    /// </summary>
    public static Task<ProbeResult> CheckAsync(Uri url, TimeSpan timeout) =>
        HttpProber.CanProbe(url) ? HttpProber.Shared.CheckAsync(url, timeout) : ViaHttpClient.CheckAsync(url, timeout);

    /// <summary>
    /// The general path, kept apart so that the HTTP stack is loaded only when a URL needs it. Its client is the one
    /// every probe over HttpClient shares (the MCP probe too): no proxy, no redirects, no cookies, pooled connections.
    /// </summary>
    internal static class ViaHttpClient
    {
        internal static readonly HttpClient Client = new(new SocketsHttpHandler
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
}
