using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Cli.Platform;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Cli.Running;

/// <summary>
/// `up`: runs a set of daemons in the foreground through the <see cref="Supervisor"/> facade until SIGINT, SIGTERM or SIGHUP,
/// then stops all of them in parallel and exits.
/// </summary>
internal static class UpRunner
{
    // Akka's own log goes through Diagnostics (stderr or under the live table), never to stdout, which belongs to the
    // state lines. Only warnings and worse: the state changes themselves are what `up` reports.
    private static readonly Config AkkaSettings = ConfigurationFactory.ParseString($$"""
        akka {
          loggers = ["{{typeof(AkkaLogger).FullName}}, {{typeof(AkkaLogger).Assembly.GetName().Name}}"]
          loglevel = WARNING
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        """).WithFallback(SupervisorHocon.OwnedSystem);

    // A pidfd and a lock file held per daemon, and a socket while it is probed; with room to spare.
    private const int DescriptorsPerDaemon = 4;

    public static async Task<int> RunAsync(UpOptions options)
    {
        var plan = UpPlan.From(options);

        // Signals are caught before the first daemon starts, so none can end us halfway through starting them.
        // Cancelling the default action keeps the runtime from exiting; the shutdown below is ours to run.
        var stopSignal = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            stopSignal.TrySetResult("SIGINT");
        });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stopSignal.TrySetResult("SIGTERM");
        });
        // A closed terminal means nobody is watching any more: stop as cleanly as for SIGTERM. (Under nohup SIGHUP
        // stays ignored, and this handler is never called.)
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true;
            stopSignal.TrySetResult("SIGHUP");
        });

        var view = UpView.ForConsole();
        view.Starting(plan.Config, plan.Source, plan.Specs.Count);
        if (FileLimit.RaiseToHardLimit() is { } limit && limit < (ulong)plan.Specs.Count * DescriptorsPerDaemon + 256)
            Diagnostics.Write($"actorsupervisor: warning: the open-file limit is {limit}, which may not be enough for " +
                              $"{plan.Specs.Count} daemons; raise the hard limit (ulimit -Hn) if starts fail");

        var system = ActorSystem.Create("actorsupervisor", AkkaSettings);
        // The supervision log (probe failures, give-ups) reaches a person as warnings on stderr, like Akka's own.
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new DiagnosticsLoggerProvider()).SetMinimumLevel(LogLevel.Warning));
        var shutDown = false;
        Supervisor? supervisor = null;
        try
        {
            supervisor = Supervisor.New(plan.Config, system, loggers);
            using var subscription = supervisor.Subscribe(view.StateChanged);

            // A signal is honoured at every moment, also while daemons are still starting (one that cannot launch
            // may take its whole startup timeout to say so): the starts still under way are stopped with the rest.
            var starts = StartAll(supervisor, plan.Specs, view);
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var display = view.ShowAsync(() => supervisor.StatusAsync(), finished.Task);
            string why;
            var anyFailed = false;
            if (await Task.WhenAny(starts, stopSignal.Task) == starts)
            {
                var outcomes = await starts;
                view.AllStartsIssued(plan.Config, plan.Specs.Count);
                anyFailed = outcomes.Contains(false);
                // With nothing running there is nothing to supervise; waiting for a signal would only hide the failure.
                why = outcomes.Contains(true) ? await stopSignal.Task : "no daemon started";
            }
            else why = await stopSignal.Task;

            view.Stopping(why);
            shutDown = true;
            await supervisor.ShutdownAsync();
            var final = await supervisor.StatusAsync();
            await view.DrainAsync(final);
            finished.TrySetResult();
            await display;
            view.Stopped(final);
            return anyFailed ? ExitCodes.Failure : ExitCodes.Ok;
        }
        finally
        {
            // On an unexpected error the daemons are still stopped the orderly way before the actor system goes.
            if (!shutDown && supervisor is not null)
            {
                try { await supervisor.ShutdownAsync(); }
                catch (Exception e) when (e is not OutOfMemoryException) { Diagnostics.Write($"actorsupervisor: shutdown: {e.Message}"); }
            }
            await system.Terminate();
        }
    }

    /// <summary>
    /// Every start is issued at once, so a thousand daemons launch in parallel. A start that fails (a missing binary,
    /// a daemon another live supervisor owns) is reported and the others go on.
    /// </summary>
    private static Task<bool[]> StartAll(Supervisor supervisor, IReadOnlyList<DaemonSpec> specs, UpView view) =>
        Task.WhenAll(specs.Select(async spec =>
        {
            try
            {
                view.Launched(await supervisor.StartAsync(spec));
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                view.LaunchFailed(spec.Name, e.Message);
                return false;
            }
        }));
}
