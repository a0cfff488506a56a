using System.Diagnostics;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// What a supervisor killed with SIGKILL leaves behind: running daemons, launched and recorded exactly as the
/// DaemonActor does it (launch tag in the environment, PID file naming a supervisor that is now dead).
/// </summary>
internal static class Orphans
{
    /// <summary>The identity of a process that existed and is now gone: a supervisor that died.</summary>
    public static ProcessIdentity DeadProcess()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        var identity = ProcessIdentity.Of(p.Id)!.Value;
        p.Kill();
        p.WaitForExit();
        return identity;
    }

    /// <summary>Launches <paramref name="spec"/> as the session's supervisor would, tagged with a launch of <paramref name="store"/>.</summary>
    public static DaemonProcess Launch(TestProject project, PidFileStore store, DaemonSpec spec, int port, string? session = null,
        ProcessIdentity? supervisor = null)
    {
        store.EnsureDirectories();
        session ??= project.SessionId;
        var env = new List<KeyValuePair<string, string>> { new(TestProject.TagVariable, project.Tag) };
        // The spec's own environment too (the signal record among it), as the DaemonActor passes it.
        foreach (var entry in spec.Env)
            if (entry.IndexOf('=') is > 0 and var at && entry[..at] != TestProject.TagVariable) env.Add(new(entry[..at], entry[(at + 1)..]));
        if (port > 0) env.Add(new("PORT", port.ToString()));
        project.RememberPort(port);
        return DaemonProcess.Launch(new LaunchRequest
        {
            Argv = spec.Argv(port),
            WorkDir = project.Dir,
            LogPath = store.LogPathFor(spec.Name, session),
            Environment = env,
            Tag = supervisor is { } s ? store.NewLaunch(spec.Name, session) with { Supervisor = s } : store.NewLaunch(spec.Name, session),
        });
    }

    /// <summary>The PID file the DaemonActor writes for <paramref name="process"/>, owned by <paramref name="supervisor"/>.</summary>
    public static PidFileInfo Describe(DaemonProcess process, DaemonSpec spec, string session, int port, ProcessIdentity supervisor) => new()
    {
        Pid = process.Pid, Port = port, OwnerId = session, Command = spec.Command, StartedAt = process.StartedAt,
        Name = spec.Name, Args = spec.Args.ToArray(), ProcessStartTime = process.Identity.StartTime, ProcessGroup = process.ProcessGroup,
        SupervisorPid = supervisor.Pid, SupervisorStartTime = supervisor.StartTime,
        LaunchId = process.LaunchId, Argv = process.Argv, Executable = process.Executable,
    };

    /// <summary>A daemon running and recorded, its supervisor dead.</summary>
    public static DaemonProcess Leave(TestProject project, PidFileStore store, DaemonSpec spec, int port = 0, string? session = null)
    {
        session ??= project.SessionId;
        var process = Launch(project, store, spec, port, session);
        store.Write(spec.Name, Describe(process, spec, session, port, DeadProcess()));
        return process;
    }

    /// <summary>
    /// A daemon left as a supervisor of before launch tags left it: running on a port below the kernel's ephemeral
    /// range (<see cref="TestPorts"/>), exactly what <paramref name="spec"/> launches (adoption checks the command
    /// line), and once it is ready (<paramref name="ready"/> exists) a PID file naming it and a dead supervisor.
    /// <paramref name="track"/> gets the process as soon as it runs, so the caller can clean up even if it never gets ready.
    /// </summary>
    public static async Task<(DaemonProcess Process, int Port)> LeaveUntaggedAsync(TestProject project, DaemonSpec spec, string ready,
        Action<DaemonProcess> track)
    {
        var store = project.Store;
        store.EnsureDirectories();
        var port = TestPorts.Unbound();
        var process = DaemonProcess.Launch(new LaunchRequest
        {
            Argv = spec.Argv(port),
            WorkDir = project.Dir,
            LogPath = store.LogPathFor(spec.Name, project.SessionId),
            Environment = [new(TestProject.TagVariable, project.Tag), new(SignalRecord.Variable, project.Signals.Path),
                new("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        });
        track(process);
        await Poll.Until(() => File.Exists(ready), "the orphan never listened");
        var dead = DeadProcess();
        store.Write(spec.Name, new PidFileInfo
        {
            Pid = process.Pid, Port = port, OwnerId = project.SessionId, Command = spec.Command, StartedAt = process.StartedAt,
            Name = spec.Name, ProcessStartTime = process.Identity.StartTime, ProcessGroup = process.ProcessGroup,
            SupervisorPid = dead.Pid, SupervisorStartTime = dead.StartTime,
        });
        project.RememberPort(port);
        return (process, port);
    }
}
