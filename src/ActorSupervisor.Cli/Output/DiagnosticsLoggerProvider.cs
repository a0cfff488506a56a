using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Cli.Output;

/// <summary>
/// The library's supervision log, for `up`: one line per message through <see cref="Diagnostics"/> (stderr, or under
/// the live table), like Akka's own warnings. stdout stays reserved for the state lines.
/// </summary>
internal sealed class DiagnosticsLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger();

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var level = logLevel >= LogLevel.Error ? "error" : "warning";
            Diagnostics.Write($"actorsupervisor: {level}: {formatter(state, exception)}");
        }
    }
}
