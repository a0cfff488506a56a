using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// Akka's own log (warnings such as a daemon that failed for good) routed through <see cref="Diagnostics"/>: Akka's
/// default logger writes to stdout, which `up` reserves for its fixed state lines.
/// </summary>
public sealed class AkkaLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public AkkaLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            var level = e.LogLevel() switch
            {
                LogLevel.ErrorLevel => "error",
                LogLevel.WarningLevel => "warning",
                LogLevel.InfoLevel => "info",
                _ => "debug",
            };
            var cause = e.Cause is null ? "" : $" ({e.Cause.Message})";
            Diagnostics.Write($"actorsupervisor: {level}: {e.Message}{cause}");
        });
    }
}
