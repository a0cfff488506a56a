using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// Specs of the <see cref="Supervisor"/> facade in real time, with real daemons, ports and HTTP. Every supervisor a
/// test makes is stopped gracefully at the end (<see cref="GracefulStop"/>), then nothing may be left behind.
/// </summary>
public abstract class RealTimeSpecs : IAsyncLifetime
{
    protected readonly TestProject Project = new();
    private readonly List<Supervisor> _supervisors = [];

    /// <summary>Daemons a test made ignore SIGTERM, whose stop at teardown is expected to need SIGKILL.</summary>
    protected readonly List<string> KillExpected = [];

    protected Supervisor NewSupervisor(Func<SupervisorConfig, SupervisorConfig>? change = null)
    {
        // A generous grace unless the test sets its own: teardown checks every daemon went by SIGTERM alone, and on a
        // busy 2-core machine a .NET daemon may take more than the usual 2 s to exit.
        var supervisor = Supervisor.New(Project.Config(c => (change ?? (x => x))(c with { StopGrace = TimeSpan.FromSeconds(10) })));
        _supervisors.Add(supervisor);
        return supervisor;
    }

    /// <summary>Polls the facade until <paramref name="condition"/> holds for the daemon; remembers its port for the leak check.</summary>
    protected async Task<ManagedDaemon> WaitFor(Supervisor supervisor, string name, Func<ManagedDaemon, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var d = await supervisor.GetDaemonAsync(name);
            if (d is not null)
            {
                Project.RememberPort(d.Port);
                if (condition(d)) return d;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name}: condition not met; last seen {d?.State.ToWord()} pid {d?.Pid} restarts {d?.Restarts} failure {d?.LastFailure}");
            await Task.Delay(20);
        }
    }

    protected static async Task Until(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(20);
        }
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        try
        {
            foreach (var supervisor in _supervisors) await GracefulStop.StopAllAndShutdown(supervisor, [.. KillExpected]);
            await Project.AssertNothingLeftBehind();
        }
        finally
        {
            foreach (var supervisor in _supervisors) await supervisor.ShutdownAsync();
            Project.Dispose();
        }
    }
}
