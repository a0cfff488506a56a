using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorSupervisor.Control.Dashboard;

/// <summary>
/// The dashboard: three static files embedded in this assembly, served from memory. A strict Content-Security-Policy
/// (scripts and connections to this origin only, no framing) keeps the page from being turned against its user.
/// </summary>
internal static class DashboardFiles
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
                                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly (string Route, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (route, resource, contentType) in Files)
        {
            var bytes = Load(resource);
            app.MapGet(route, context =>
            {
                var response = context.Response;
                response.ContentType = contentType;
                response.Headers.ContentSecurityPolicy = Policy;
                response.Headers.XFrameOptions = "DENY";
                response.Headers["Referrer-Policy"] = "no-referrer";
                response.Headers.CacheControl = "no-cache";
                response.ContentLength = bytes.Length;
                return response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
            });
        }
    }

    private static byte[] Load(string name)
    {
        var assembly = typeof(DashboardFiles).Assembly;
        using var stream = assembly.GetManifestResourceStream($"ActorSupervisor.Control.Dashboard.wwwroot.{name}")
                           ?? throw new InvalidOperationException($"dashboard file {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
