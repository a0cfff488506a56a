using System.CommandLine;
using ActorSupervisor.Cli.Live;
using ActorSupervisor.Cli.Orphans;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// `stop`: stops orphaned daemons (their supervisor gone) and clears stale and unusable PID files, from the PID files
/// and the launch tags in /proc alone. What may be signalled is decided by the library (<see cref="OrphanStopper"/>).
/// </summary>
internal static class StopCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("NAME")
        {
            Description = "The daemon to stop (every session's, unless --session is given).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var all = new Option<bool>("--all") { Description = "Stop every daemon recorded in the project's PID files, and every one running without a PID file." };
        var projectDir = CliOptions.ProjectDir();
        var session = CliOptions.Session("Only daemons of this session.");
        var stateDir = ProjectState.StateDirOption();
        var specs = ProjectState.SpecsOption();
        var force = new Option<bool>("--force")
        {
            Description = "Also stop daemons whose supervisor is still running (it may restart them), and daemons in PID files NTM wrote.",
        };
        var withDependents = new Option<bool>("--with-dependents")
        {
            Description = "Through a running supervisor: also stop the daemons that depend on NAME, first, in reverse dependency order.",
        };
        var stopGrace = CliOptions.Duration("--stop-grace", "Time between SIGTERM and SIGKILL.", "2s");

        var command = new Command("stop", "Stop daemons: through their running supervisor (final: no restart), and those whose " +
                                          "supervisor is gone (orphans) from their PID files; remove stale PID files.")
        {
            name, all, projectDir, session, stateDir, specs, force, withDependents, stopGrace,
        };
        command.SetAction((parse, _) => Guarded.Run(() => RunAsync(
            parse.GetValue(name), parse.GetValue(all),
            ProjectState.Store(parse.GetValue(projectDir)!, parse.GetValue(stateDir), parse.GetValue(specs)),
            parse.GetValue(session), parse.GetValue(force), parse.GetValue(stopGrace) ?? new SupervisorConfig().WithDefaults().StopGrace,
            parse.GetValue(withDependents))));
        return command;
    }

    private static async Task<int> RunAsync(string? name, bool all, PidFileStore store, string? session, bool force, TimeSpan grace,
        bool withDependents = false)
    {
        if (string.IsNullOrEmpty(name) == !all)
            throw new UsageException("stop: give either a daemon NAME or --all (exactly one of them)");

        // A cluster member of this project stops the daemon where it runs, on whichever node that is.
        if (Cluster.ClusterCli.FindIn(store.StateRoot, session) is { } node)
            return await Cluster.ClusterCli.OrderAsync(node, all ? [] : [name!], n => new ActorSupervisor.Cluster.Protocol.ClusterCommands.Stop(n), "stopped");
        // Daemons whose supervisor answers are stopped by it (final); what is left here are orphans and stale files.
        var viaSupervisor = await LiveStop.StopAsync(store.StateRoot, name, all, session, withDependents: withDependents);
        var reports = store.Inspect();
        var entries = reports
            .Where(e => session is null || e.Session == session)
            .Where(e => all || e.Name == name)
            .ToList();
        var recorded = reports.Select(r => r.Info?.LaunchId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var untracked = store.Untracked(recorded)
            .Where(u => session is null || u.Tag.Session == session)
            .Where(u => all || u.Tag.Name == name)
            .ToList();
        var scope = session is null ? "" : $" of session {session}";
        if (entries.Count == 0 && untracked.Count == 0)
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
        var outcomes = await Task.WhenAll(
            entries.Select(e => OrphanStopper.StopAsync(store, e, grace, force))
                .Concat(untracked.Select(u => OrphanStopper.StopAsync(store, u, grace, force))));
        foreach (var outcome in outcomes)
        {
            if (outcome.Kind is StopResult.Stopped or StopResult.Stale) Console.WriteLine(outcome.Message);
            else Console.Error.WriteLine($"actorsupervisor: {outcome.Message}");
        }
        return outcomes.All(o => o.Kind is StopResult.Stopped or StopResult.Stale) && !viaSupervisor.Failed ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
