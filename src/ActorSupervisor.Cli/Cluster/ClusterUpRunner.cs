using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using ActorSupervisor.Actors;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Cli.Running;
using ActorSupervisor.Cluster;
using ActorSupervisor.Cluster.Client;
using ActorSupervisor.Cluster.Configuration;
using ActorSupervisor.Cluster.Placement;
using ActorSupervisor.Cluster.Protocol;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Cli.Cluster;

/// <summary>
/// `up --cluster-bind ...`: the supervisor as a cluster member. The specs (none is fine: an agent that only runs what is
/// placed on it) go to the cluster; this node runs what is placed on it with its own session actor, and shows those
/// daemons' state lines as `up` always does. SIGINT/SIGTERM: this node's daemons stop and move to other nodes, then the
/// node leaves the cluster. A node the cluster downs stops its daemons and exits 1.
/// </summary>
internal static class ClusterUpRunner
{
    // `up` handles SIGINT/SIGTERM itself (hand over, then leave); Akka's own SIGTERM hook would leave the cluster
    // first, and the daemons would stop as if the node had been removed.
    private static readonly Akka.Configuration.Config CliSettings =
        Akka.Configuration.ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off");

    public static async Task<int> RunAsync(UpOptions options, ClusterNodeOptions node)
    {
        var plan = UpPlan.From(options);
        // Without --specs the node brings nothing (not the demo): it runs what the cluster places on it.
        var specs = options.SpecsPath is null ? [] : plan.Specs;
        ClusterSpecs.EnsureValid(specs, $"Spec file {plan.Source}");
        var session = plan.Config.SessionId;

        var stop = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.TrySetResult("SIGINT"); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult("SIGTERM"); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; stop.TrySetResult("SIGHUP"); });

        var view = UpView.ForConsole();
        view.Starting(plan.Config, options.SpecsPath is null ? "none (runs what the cluster places here)" : plan.Source, specs.Count);
        // A HOCON spec file may tune the cluster too (failure detector, split-brain resolver, actorsupervisor.cluster).
        var fileSettings = options.SpecsPath is { } path && (path.EndsWith(".conf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hocon", StringComparison.OrdinalIgnoreCase))
            ? ActorSupervisor.Configuration.SpecFile.Load(path).Settings
            : Akka.Configuration.Config.Empty;
        var system = ActorSystem.Create(node.SystemName,
            CliSettings.WithFallback(ClusterHocon.NodeSettings(node, session)).WithFallback(fileSettings)
                .WithFallback(ClusterHocon.Defaults).WithFallback(UpRunner.AkkaSettings));
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new DiagnosticsLoggerProvider()).SetMinimumLevel(LogLevel.Warning));
        var stateRoot = plan.Config.StateRoot;
        RemoveStalePidFiles(plan.Config);
        var refused = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var supervisor = Supervisor.New(plan.Config, system, loggers);
            using var subscription = supervisor.Subscribe(view.StateChanged);
            // However the node goes (downed, or a join that never succeeds), its daemons stop in service-stop.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceStop, "stop-daemons", async () =>
            {
                await supervisor.Actor.Ask<SupervisorReplies.StatusReport>(SupervisorCommands.Shutdown.Instance, TimeSpan.FromMinutes(1));
                return Akka.Done.Instance;
            });
            var events = system.ActorOf(Props.Create(() => new ClusterEventPrinter(view, specs.Count, plan.Config, refused)));
            system.EventStream.Subscribe(events, typeof(ClusterEvents.Joined));
            system.EventStream.Subscribe(events, typeof(ClusterEvents.SpecRefused));
            system.EventStream.Subscribe(events, typeof(ClusterEvents.NodeRefused));
            system.EventStream.Subscribe(events, typeof(ClusterEvents.Fenced));
            system.EventStream.Subscribe(events, typeof(ClusterEvents.Unfenced));

            var cluster = ClusterSupervisor.Start(system, supervisor.Actor, session, node.NodeName, node.Roles, specs);
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            NodeEndpointFile.Write(stateRoot, new NodeEndpoint
            {
                Session = session, Node = node.NodeName, Address = self.ToString(),
                Pid = Environment.ProcessId, PidStartTime = ProcessIdentity.Self.StartTime,
            });
            Diagnostics.Write($"actorsupervisor: node {node.NodeName} at {self}, roles [{string.Join(',', node.Roles)}], " +
                              $"seeds [{string.Join(", ", node.Seeds)}]");

            var terminated = system.WhenTerminated.ContinueWith(_ => "terminated", TaskScheduler.Default);
            var first = await Task.WhenAny(stop.Task, refused.Task, terminated);
            if (first == terminated)
            {
                var reason = CoordinatedShutdown.Get(system).ShutdownReason;
                var why = reason is CoordinatedShutdown.ClusterDowningReason
                    ? $"node {node.NodeName} was downed by the cluster (or lost its majority); its daemons were stopped"
                    : reason is CoordinatedShutdown.ClusterJoinUnsuccessfulReason
                        ? $"node {node.NodeName} could not join the cluster through the seeds [{string.Join(", ", node.Seeds)}]"
                        : $"the node's actor system stopped ({reason?.GetType().Name ?? "unknown reason"})";
                Diagnostics.Write($"actorsupervisor: {why}");
                view.Stopped(new Dictionary<string, ManagedDaemon>());
                return ExitCodes.Failure;
            }

            var wasRefused = first == refused.Task;
            view.Stopping(wasRefused ? await refused.Task : await stop.Task);
            // This node's daemons stop and are handed over before the node leaves, so they move without waiting for
            // failure detection.
            var left = await cluster.LeaveAsync();
            await view.DrainAsync(left.ToDictionary(d => d.Name, StringComparer.Ordinal));
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            view.Stopped(left.ToDictionary(d => d.Name, StringComparer.Ordinal));
            return wasRefused ? ExitCodes.BadInput : ExitCodes.Ok;
        }
        finally
        {
            NodeEndpointFile.Remove(stateRoot, session);
            await system.Terminate();
        }
    }

    /// <summary>
    /// A node killed with SIGKILL leaves the PID files of its movable daemons (which died with it by their parent-death
    /// signal, and run elsewhere now). The node's next `up` removes this session's files whose process is gone; it
    /// never touches a live one (a pinned daemon waiting to be adopted) or another session's.
    /// </summary>
    private static void RemoveStalePidFiles(SupervisorConfig config)
    {
        var store = new ActorSupervisor.PidFiles.PidFileStore(config.StateRoot);
        foreach (var entry in store.List().Where(e => e.Info.OwnerId == config.SessionId && !e.Info.IsAlive))
        {
            // Its lock too, if nobody holds it (taking it and letting go unlinks it).
            using (ActorSupervisor.PidFiles.DaemonLock.TryAcquire(store.LockPathFor(entry.Name, config.SessionId))) { }
            store.Remove(entry.Name, config.SessionId, entry.Info.Pid);
        }
    }

    /// <summary>Prints what the cluster says about this node, and reports a refusal to the runner.</summary>
    private sealed class ClusterEventPrinter : ReceiveActor
    {
        public ClusterEventPrinter(UpView view, int specs, SupervisorConfig config, TaskCompletionSource<string> refused)
        {
            var joined = false;
            Receive<ClusterEvents.Joined>(e =>
            {
                if (joined) return;
                joined = true;
                Diagnostics.Write($"actorsupervisor: node {e.Node} joined session {e.SessionId}");
                view.AllStartsIssued(config, specs);
            });
            Receive<ClusterEvents.SpecRefused>(e => view.LaunchFailed(e.Name, e.Error));
            Receive<ClusterEvents.Fenced>(e => Diagnostics.Write($"actorsupervisor: {e.Reason}: stopping its daemons (fenced)"));
            Receive<ClusterEvents.Unfenced>(e => Diagnostics.Write($"actorsupervisor: node {e.Node} sees the cluster's majority again"));
            Receive<ClusterEvents.NodeRefused>(e =>
            {
                Diagnostics.Write($"actorsupervisor: {e.Reason}");
                refused.TrySetResult("refused by the cluster");
            });
        }
    }
}
