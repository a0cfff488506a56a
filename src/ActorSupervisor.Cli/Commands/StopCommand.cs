using System.CommandLine;
using ActorSupervisor.Cli.Live;
using ActorSupervisor.Cli.Orphans;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>`stop`: stops orphaned daemons (their supervisor gone) and clears stale PID files, from the PID files alone.</summary>
internal static class StopCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME")
        {
            Description = "The daemon to stop (every session's, unless --session is given).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var all = new Option<bool>("--all") { Description = "Stop every daemon recorded in the project's PID files." };
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("Only daemons of this session.");
        var force = new Option<bool>("--force")
        {
            Description = "Also stop daemons whose supervisor is still running (it may restart them).",
        };
        var stopGrace = CliOptions.Duration("--stop-grace", "Time between SIGTERM and SIGKILL.", "2s");

        var command = new Command("stop", "Stop daemons: through their running supervisor (final: no restart), and those whose " +
                                          "supervisor is gone (orphans) from their PID files; remove stale PID files.")
        {
            name, all, projectDir, session, force, stopGrace,
        };
        command.SetAction((parse, _) => Guarded.Run(() => RunAsync(
            parse.GetValue(name), parse.GetValue(all), parse.GetValue(projectDir)!, parse.GetValue(session),
            parse.GetValue(force), parse.GetValue(stopGrace) ?? new SupervisorConfig().WithDefaults().StopGrace)));
        return command;
    }

    private static async Task<int> RunAsync(string? name, bool all, string projectDir, string? session, bool force, TimeSpan grace)
    {
        if (string.IsNullOrEmpty(name) == !all)
            throw new UsageException("stop: give either a daemon NAME or --all (exactly one of them)");

        if (Cluster.ClusterCli.Find(projectDir, session) is { } node)
            return await Cluster.ClusterCli.OrderAsync(node, all ? [] : [name!], n => new ActorSupervisor.Cluster.Protocol.ClusterCommands.Stop(n), "stopped");
        var store = ProjectState.Store(projectDir);
        // Daemons whose supervisor answers are stopped by it (final); what is left here are orphans and stale files.
        var viaSupervisor = await LiveStop.StopAsync(store.StateRoot, name, all, session);
        var entries = store.List()
            .Where(e => session is null || e.Info.OwnerId == session)
            .Where(e => all || e.Name == name)
            .ToList();
        var scope = session is null ? "" : $" of session {session}";
        if (entries.Count == 0)
        {
            if (viaSupervisor.Any) return viaSupervisor.ExitCode;
            if (all)
            {
                Console.WriteLine($"nothing to stop: no PID files{scope} in {store.PidDir}");
                return ExitCodes.Ok;
            }
            Console.Error.WriteLine($"actorsupervisor: no daemon named '{name}'{scope} in {store.PidDir}");
            return ExitCodes.Failure;
        }

        // In parallel, so stopping many orphans takes about one grace period.
        var outcomes = await Task.WhenAll(entries.Select(e => OrphanStopper.StopAsync(e, grace, force)));
        foreach (var outcome in outcomes)
        {
            if (outcome.Kind is StopResult.Stopped or StopResult.Stale) Console.WriteLine(outcome.Message);
            else Console.Error.WriteLine($"actorsupervisor: {outcome.Message}");
        }
        return outcomes.All(o => o.Kind is StopResult.Stopped or StopResult.Stale) && !viaSupervisor.Failed ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
