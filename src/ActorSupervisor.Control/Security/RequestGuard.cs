using Microsoft.AspNetCore.Connections.Features;
using ActorSupervisor.Control.Endpoints;
using Microsoft.AspNetCore.Http;

namespace ActorSupervisor.Control.Security;

/// <summary>
/// What a request must show before any handler runs. Over the Unix socket, being this user (checked per connection
/// by <see cref="PeerCredentials"/>) is enough. Over TCP, anyone on the machine (or the network) can connect, and a
/// browser visiting a hostile page can be made to send requests too, so:
/// <list type="bullet">
/// <item>On a loopback listener the Host header must name the listener (127.0.0.1, [::1] or localhost with its port):
/// a DNS-rebinding page reaches 127.0.0.1 under its own host name, and is refused here.</item>
/// <item>The API (/v1/...) needs the token, read or write, in an Authorization header: a page on another origin
/// cannot send that header without a CORS preflight, which is never granted, and cannot read any answer.</item>
/// <item>A request that says it comes from another site (Origin not the listener's, or Sec-Fetch-Site: cross-site)
/// is refused from the API outright.</item>
/// <item>/metrics and /healthz need the token when the listener is not on loopback; the dashboard's static files
/// hold no secret and are open (the page asks for the token).</item>
/// </list>
/// </summary>
internal sealed class RequestGuard(AccessToken? token, HttpAddress? http)
{
    public static bool IsTrustedConnection(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(PeerCredentials.TrustedItem, out var v) == true && v is true;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        if (IsTrustedConnection(context))
        {
            await next(context);
            return;
        }
        if (http is null || token is null)
        {
            context.Abort(); // a connection that is neither the trusted socket nor the TCP listener: refuse outright
            return;
        }

        var path = context.Request.Path;
        var api = path.StartsWithSegments("/v1");
        var guarded = api || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz");
        if (http.IsLoopback && !HostIsListener(context))
        {
            await Refuse(context, StatusCodes.Status421MisdirectedRequest,
                "the Host header does not name this listener (only 127.0.0.1, [::1] or localhost with its port are served)");
            return;
        }
        if (api && CrossSite(context))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "requests from another site are refused");
            return;
        }
        if ((api || (guarded && !http.IsLoopback)) && !token.Matches(Bearer(context)))
        {
            response.Headers.WWWAuthenticate = "Bearer";
            await Refuse(context, StatusCodes.Status401Unauthorized,
                "a token is required: send 'Authorization: Bearer <token>' (the token is in the --token-file given to up, " +
                "or in <state dir>/control/<session>.token)");
            return;
        }
        await next(context);
    }

    private bool HostIsListener(HttpContext context)
    {
        var host = context.Request.Host;
        if (!host.HasValue) return false;
        var port = context.Connection.LocalPort;
        if (host.Port is { } p && p != port) return false;
        if (host.Port is null) return false;
        var name = host.Host;
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name == "127.0.0.1" || name == "[::1]"
               || name == "::1" || (http!.Address.ToString() == name.Trim('[', ']'));
    }

    private bool CrossSite(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers["Sec-Fetch-Site"] is { Count: > 0 } site && site[0] == "cross-site") return true;
        if (headers.Origin is not { Count: > 0 } origin) return false;
        // Same origin means this listener's scheme, host and port, exactly.
        return !Uri.TryCreate(origin[0], UriKind.Absolute, out var uri)
               || uri.Scheme != "http"
               || uri.Port != context.Connection.LocalPort
               || !string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static string? Bearer(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count != 1) return null;
        var value = header[0];
        return value is not null && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value[7..].Trim() : null;
    }

    private static Task Refuse(HttpContext context, int status, string message) =>
        ControlResults.Error(context, status, message);
}
