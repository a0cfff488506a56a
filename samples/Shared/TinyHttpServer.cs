using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActorSupervisor.Samples;

/// <summary>
/// The daemon the samples supervise: each sample program, started with "serve", is a tiny HTTP server on
/// 127.0.0.1:$PORT whose GET /health answers 200 ok, until SIGTERM. So the samples need nothing else installed.
/// </summary>
public static class TinyHttpServer
{
    public static bool IsServe(string[] args) => args is ["serve", ..];

    /// <summary>This program's own executable, to run as the daemon.</summary>
    public static string Self => Path.Combine(AppContext.BaseDirectory, AppDomain.CurrentDomain.FriendlyName);

    public static async Task<int> ServeAsync()
    {
        var port = int.Parse(Environment.GetEnvironmentVariable("PORT") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Console.WriteLine($"serving on http://127.0.0.1:{port}/health");
        var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                await stream.ReadAtLeastAsync(new byte[4096], 1, throwOnEndOfStream: false, stop.Token); // the request; any will do
                await stream.WriteAsync(ok, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }
}
