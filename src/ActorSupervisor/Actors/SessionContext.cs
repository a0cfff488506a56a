using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorSupervisor.Actors;

/// <summary>What every actor of one session shares: its settings (defaults applied), its state files, its loggers.</summary>
internal sealed class SessionContext
{
    public SessionContext(SupervisorConfig config, ILoggerFactory? loggers)
    {
        Config = config.WithDefaults();
        Store = new PidFileStore(Config.StateRoot);
        Loggers = loggers ?? NullLoggerFactory.Instance;
    }

    public SupervisorConfig Config { get; }
    public PidFileStore Store { get; }
    public ILoggerFactory Loggers { get; }
    public string SessionId => Config.SessionId;

    /// <summary>One log category per daemon, so a host can filter or route one daemon's supervision log.</summary>
    public ILogger DaemonLogger(string name) => Loggers.CreateLogger($"ActorSupervisor.Daemon.{name}");

    public ILogger SessionLogger() => Loggers.CreateLogger("ActorSupervisor.Session");
}
