using ActorSupervisor;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using ActorSupervisor.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

if (TinyHttpServer.IsServe(args)) return await TinyHttpServer.ServeAsync();

var builder = Host.CreateApplicationBuilder(args);
// The project dir is where the host runs; the daemons' command ("GenericHost") is this program, found on PATH.
var projectDir = Directory.CreateTempSubdirectory("generic-host-sample-").FullName;
builder.Configuration["ActorSupervisor:project_dir"] = projectDir;
Environment.SetEnvironmentVariable("PATH", $"{AppContext.BaseDirectory}:{Environment.GetEnvironmentVariable("PATH")}");

// Settings and daemons from appsettings.json (or ACTORSUPERVISOR__... environment variables), validated at start.
builder.Services.AddDaemonSupervisor(builder.Configuration.GetSection(SupervisorOptions.SectionName));
using var host = builder.Build();
await host.StartAsync();

var supervisor = host.Services.GetRequiredService<Supervisor>();
var worker = await supervisor.WaitUntilHealthyAsync("worker", TimeSpan.FromSeconds(30));
foreach (var (name, daemon) in await supervisor.StatusAsync())
    Console.WriteLine($"{name}: {daemon.State.ToWord()}, pid {daemon.Pid}, port {daemon.Port}");
Console.WriteLine($"worker waited for web: started at {worker.StartedAt:O}");

await host.StopAsync();
Directory.Delete(projectDir, recursive: true);
return 0;
