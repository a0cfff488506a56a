using Akka.Actor;
using Akka.Hosting;
using ActorSupervisor.Actors;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

if (TinyHttpServer.IsServe(args)) return await TinyHttpServer.ServeAsync();

var projectDir = Directory.CreateTempSubdirectory("hosting-sample-").FullName;
var config = new SupervisorConfig { SessionId = "hosting", ProjectDir = projectDir };
var web = new DaemonSpec { Name = "web", Command = TinyHttpServer.Self, Args = ["serve"], NeedsPort = true, HealthUrl = "/health" };

var builder = Host.CreateApplicationBuilder(args);
// Composes into the app's own AddAkka; the session actor is registered for IRequiredActor<SessionSupervisorActor>.
builder.Services.AddAkka("app", akka => akka
    .ConfigureLoggers(loggers => { loggers.ClearLoggers(); loggers.AddLoggerFactory(); }) // Akka's own log to ILogger too
    .WithDaemonSupervisor(config));
using var host = builder.Build();
await host.StartAsync();

var supervisor = host.Services.GetRequiredService<IRequiredActor<SessionSupervisorActor>>().ActorRef;
var launched = await supervisor.Ask<ManagedDaemon>(new SupervisorCommands.StartDaemon(web), TimeSpan.FromSeconds(30));
Console.WriteLine($"launched {launched.Name}: pid {launched.Pid}, port {launched.Port}, state {launched.State.ToWord()}");

var status = await supervisor.Ask<SupervisorReplies.StatusReport>(SupervisorQueries.GetStatus.Instance, TimeSpan.FromSeconds(5));
foreach (var (name, daemon) in status.Daemons) Console.WriteLine($"status: {name} {daemon.State.ToWord()} pid {daemon.Pid}");

// Stopping the host stops the daemons (CoordinatedShutdown's service-stop phase).
await host.StopAsync();
Directory.Delete(projectDir, recursive: true);
return 0;
