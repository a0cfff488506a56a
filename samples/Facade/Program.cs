using ActorSupervisor;
using ActorSupervisor.Daemons;
using ActorSupervisor.Samples;

// Started with "serve", this program is the daemon; otherwise it supervises itself, through the facade.
if (TinyHttpServer.IsServe(args)) return await TinyHttpServer.ServeAsync();

var projectDir = Directory.CreateTempSubdirectory("facade-sample-").FullName;
await using var supervisor = Supervisor.New(new SupervisorConfig { SessionId = "facade", ProjectDir = projectDir });

var web = await supervisor.StartAsync(new DaemonSpec
{
    Name = "web", Command = TinyHttpServer.Self, Args = ["serve"], NeedsPort = true, HealthUrl = "/health",
});
Console.WriteLine($"launched web: pid {web.Pid}, port {web.Port}");

// Watch every change while we work; the watch is subscribed from this call on.
using var stopWatching = new CancellationTokenSource();
var watching = Task.Run(async () =>
{
    await foreach (var change in supervisor.WatchAsync(stopWatching.Token))
        Console.WriteLine($"  {change.Name}: {change.Previous?.ToWord() ?? "-"} -> {change.State.ToWord()} (pid {change.Daemon.Pid})");
});

var running = await supervisor.WaitUntilRunningAsync("web", TimeSpan.FromSeconds(30));
using var http = new HttpClient();
Console.WriteLine($"GET /health: {await http.GetStringAsync($"http://127.0.0.1:{running.Port}/health")}");

var restarted = await supervisor.RestartAsync("web");   // a new process at once, same port, no failure counted
await supervisor.WaitUntilRunningAsync("web", TimeSpan.FromSeconds(30));
Console.WriteLine($"restarted web: pid {running.Pid} -> {restarted.Pid}, port {restarted.Port}");

foreach (var (name, daemon) in await supervisor.StatusAsync())
    Console.WriteLine($"status: {name} {daemon.State.ToWord()} pid {daemon.Pid} restarts {daemon.Restarts}");

await supervisor.StopAsync("web");
await stopWatching.CancelAsync();
await watching;
Directory.Delete(projectDir, recursive: true);
return 0;
