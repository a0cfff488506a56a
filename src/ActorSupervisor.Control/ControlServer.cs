using System.Net;
using System.Net.Sockets;
using ActorSupervisor.Control.Dashboard;
using ActorSupervisor.Control.Endpoints;
using ActorSupervisor.Control.Security;
using ActorSupervisor.Control.Transport;
using ActorSupervisor.Observability;
using ActorSupervisor.PidFiles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace ActorSupervisor.Control;

/// <summary>
/// A supervisor's control endpoint: the control API on a Unix socket in the state dir (always), and on TCP when
/// asked (with /metrics and the dashboard). Start it with <see cref="StartAsync"/> (or the facade's
/// <c>StartControlAsync</c>); dispose it to stop listening and remove the socket.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DaemonLock _lock;
    private readonly IDisposable? _dirHandle;
    private readonly string? _generatedToken;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>
    /// The control socket's path (where clients connect): <c>&lt;state dir&gt;/control/&lt;session&gt;.sock</c>, mode 0600
    /// in a 0700 directory; only the same user (or root) is served.
    /// </summary>
    public string SocketPath { get; }

    /// <summary>The TCP listener's base URL (e.g. http://127.0.0.1:43121/), when there is one.</summary>
    public string? HttpUrl { get; private set; }

    /// <summary>
    /// The file holding the bearer token TCP requests must carry: <see cref="ControlOptions.TokenFile"/>, or the one this
    /// endpoint made (removed when it is disposed). Null without a TCP listener.
    /// </summary>
    public string? TokenPath { get; }

    private ControlServer(WebApplication app, DaemonLock heldLock, IDisposable? dirHandle, string socketPath, string? tokenPath,
        string? generatedToken)
    {
        _app = app;
        _lock = heldLock;
        _dirHandle = dirHandle;
        SocketPath = socketPath;
        TokenPath = tokenPath;
        _generatedToken = generatedToken;
    }

    /// <summary>
    /// Starts the endpoint for <paramref name="supervisor"/>'s session. Refused (<see cref="ControlEndpointException"/>,
    /// with the reason) when another live supervisor of the same session has one, when the TCP address cannot be
    /// bound, or when a non-loopback address is asked for without a token file.
    /// </summary>
    /// <param name="supervisor">The supervisor whose session the API serves (its state dir holds the socket).</param>
    /// <param name="options">How to serve it; null for the Unix socket alone, without reload.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ControlEndpointException">The endpoint cannot start; the message says why.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static async Task<ControlServer> StartAsync(Supervisor supervisor, ControlOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        Platform.EnsureLinux();
        options ??= new ControlOptions();
        var config = supervisor.Config;
        var stateRoot = config.StateRoot;
        var session = config.SessionId;

        AccessToken? token = null;
        if (options.Http is { } http)
        {
            if (!http.IsLoopback && options.TokenFile is null)
                throw new ControlEndpointException(
                    $"--http: '{http.Text}' is not a loopback address; listening there needs --token-file (every request must carry the token)");
            try
            {
                token = options.TokenFile is { } file ? AccessToken.Load(file) : null;
            }
            catch (ArgumentException e)
            {
                throw new ControlEndpointException($"--token-file: {e.Message}");
            }
        }

        DaemonLock? heldLock = null;
        IDisposable? dirHandle = null;
        string? tokenPath = null;
        string? generatedToken = null;
        try
        {
            ControlSocket.EnsurePrivateDirectory(stateRoot);
            var lockPath = ControlSocket.LockPathFor(stateRoot, session);
            heldLock = DaemonLock.TryAcquire(lockPath) ?? throw new ControlEndpointException(
                $"session '{session}' is already run by another supervisor (pid {DaemonLock.HolderPid(lockPath)}), which has its control socket");
            var socketPath = ControlSocket.PathFor(stateRoot, session);
            // Holding the session's lock, any socket file there is a dead supervisor's.
            if (File.Exists(socketPath)) File.Delete(socketPath);
            (var endPoint, dirHandle) = ControlSocket.EndPoint(socketPath);

            if (options.Http is not null)
            {
                tokenPath = options.TokenFile ?? ControlSocket.TokenPathFor(stateRoot, session);
                if (token is null)
                {
                    token = AccessToken.Generate();
                    token.WriteTo(tokenPath);
                    generatedToken = tokenPath;
                }
            }

            var stopping = new CancellationTokenSource();
            var app = Build(supervisor, options, endPoint, token, stopping.Token, out var urlHolder);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await app.DisposeAsync();
                throw new ControlEndpointException(options.Http is { } h && e.Message.Contains(h.Port.ToString(), StringComparison.Ordinal)
                    ? $"--http: cannot listen on {h.Text}: {e.InnerException?.Message ?? e.Message}"
                    : $"cannot listen on the control socket {socketPath}: {e.InnerException?.Message ?? e.Message}");
            }
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var server = new ControlServer(app, heldLock, dirHandle, socketPath, tokenPath, generatedToken);
            server._stopping.Token.Register(stopping.Cancel);
            if (options.Http is not null)
            {
                var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                server.HttpUrl = addresses.Where(a => a.StartsWith("http://", StringComparison.Ordinal) && !a.StartsWith("http://unix:", StringComparison.Ordinal))
                    .Select(a => a.TrimEnd('/') + "/").FirstOrDefault();
            }
            urlHolder.Url = server.HttpUrl;
            return server;
        }
        catch
        {
            if (generatedToken is not null) File.Delete(generatedToken);
            dirHandle?.Dispose();
            heldLock?.Dispose();
            throw;
        }
    }

    private sealed class UrlHolder
    {
        public string? Url;
    }

    private static WebApplication Build(Supervisor supervisor, ControlOptions options, UnixDomainSocketEndPoint socket,
        AccessToken? token, CancellationToken stopping, out UrlHolder urlHolder)
    {
        // The empty builder reads no appsettings.json and no ASPNETCORE_* variables: a project's own config (the
        // supervisor runs in the project's dir) must never add listeners or change limits of the control endpoint.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "ActorSupervisor.Control",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = kestrel.Limits;
            limits.MaxRequestBodySize = 64 * 1024;
            limits.MaxRequestHeadersTotalSize = 16 * 1024;
            limits.MaxRequestHeaderCount = 64;
            limits.MaxRequestLineSize = 8 * 1024;
            limits.MaxConcurrentConnections = 128;
            // Slow clients (slowloris) lose their connection instead of holding it.
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            kestrel.Listen(socket, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(PeerCredentials.Middleware);
            });
            if (options.Http is { } http)
                kestrel.Listen(new IPEndPoint(http.Address, http.Port), listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        if (options.Loggers is { } loggers) builder.Services.AddSingleton(loggers);
        // Metrics are collected only for a TCP listener's /metrics: without one nobody could read them, and an idle
        // supervisor should not pay for recording every probe.
        if (options.Http is not null)
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(SupervisorMetrics.MeterName)
                .AddPrometheusExporter());

        var app = builder.Build();
        var guard = new RequestGuard(token, options.Http);
        app.Use(guard.InvokeAsync);
        app.UseRouting();
        var holder = new UrlHolder();
        urlHolder = holder;
        new ControlApi(supervisor, options, () => holder.Url, stopping).Map(app);
        if (options.Http is not null) app.MapPrometheusScrapingEndpoint("/metrics");
        DashboardFiles.Map(app);
        return app;
    }

    /// <summary>Stops listening (open streams end), and removes the socket, the lock and any token it made.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                if (File.Exists(SocketPath)) File.Delete(SocketPath);
                if (_generatedToken is not null) File.Delete(_generatedToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            _dirHandle?.Dispose();
            _lock.Dispose();
            _stopping.Dispose();
        }
    }
}

/// <summary>The control endpoint cannot start; the message says why, in words.</summary>
public sealed class ControlEndpointException(string message) : Exception(message);
