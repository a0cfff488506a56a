using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Support;

/// <summary>
/// Loggers that keep every entry and throw on the lines a spec chooses: a bug, or a logging back end that fails, at a
/// chosen point of the supervisor. The entry is kept before the throw, so specs can see what was being logged.
/// </summary>
/// <param name="failsOn">Which lines throw, by event id and formatted text.</param>
/// <param name="times">How many of those lines throw; the ones after are only kept.</param>
public sealed class FailingLoggers(Func<EventId, string, bool> failsOn, int times = int.MaxValue) : ILoggerFactory
{
    public const string SinkFull = "the log sink is full";

    /// <summary>Throws on the lines of one daemon (its lines start with its name) with this event id.</summary>
    public static FailingLoggers OnEvent(int eventId, string daemon, int times = int.MaxValue) =>
        new((id, text) => id.Id == eventId && text.StartsWith($"{daemon}: ", StringComparison.Ordinal), times);

    private readonly Func<EventId, string, bool> _failsOn = failsOn;
    private readonly int _times = times;
    private int _matched;

    public CapturingLoggers Seen { get; } = new();

    /// <summary>How many lines have thrown so far.</summary>
    public int Thrown => Math.Min(Volatile.Read(ref _matched), _times);

    public ILogger CreateLogger(string categoryName) => new Logger(Seen.CreateLogger(categoryName), this);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Logger(ILogger inner, FailingLoggers owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            if (!owner._failsOn(eventId, formatter(state, exception))) return;
            if (Interlocked.Increment(ref owner._matched) <= owner._times) throw new InvalidOperationException(SinkFull);
        }
    }
}
