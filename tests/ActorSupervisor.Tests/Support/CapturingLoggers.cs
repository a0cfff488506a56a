using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Support;

/// <summary>One log entry as a logger received it: its category, level, formatted text and structured properties.</summary>
public sealed record LogEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Properties);

/// <summary>An <see cref="ILoggerFactory"/> that keeps every entry, for specs of what the supervisor logs.</summary>
public sealed class CapturingLoggers : ILoggerFactory, ILoggerProvider
{
    private readonly List<LogEntry> _entries = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get { lock (_entries) return _entries.ToList(); }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Logger(string category, CapturingLoggers owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : new Dictionary<string, object?>();
            lock (owner._entries) owner._entries.Add(new LogEntry(category, logLevel, formatter(state, exception), properties));
        }
    }
}
