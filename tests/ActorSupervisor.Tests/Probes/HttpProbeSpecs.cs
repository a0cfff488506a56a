using ActorSupervisor.Health;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Probes;

/// <summary>Which HTTP client a health URL goes through (<see cref="HttpProbe"/> routes it).</summary>
public sealed class HttpProbeSpecs
{
    [Fact]
    public async Task An_http_URL_with_an_IP_address_for_a_host_goes_through_the_one_thread_prober()
    {
        // Only the prober's own parser words its refusal of a non-HTTP answer this way; HttpClient has its own text.
        using var server = new LoopbackHttpServer(_ => "SSH-2.0-OpenSSH_9.6\r\n\r\n");
        var url = server.Url("/health");

        var result = await HttpProbe.CheckAsync(url, TimeSpan.FromSeconds(10));

        Assert.Equal($"GET {url} failed: invalid response: the answer is not HTTP/1.x", result.Error);
    }
}
