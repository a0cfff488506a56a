using ActorSupervisor.Actors;
using ActorSupervisor.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ActorSupervisor.Tests.Actors;

/// <summary>The loggers a session hands its actors: the host's own, one category per daemon and one for the session.</summary>
public sealed class SessionContextSpecs : IDisposable
{
    private readonly TestProject _project = new();

    [Fact]
    public void A_hosts_logger_factory_gets_each_daemons_lines_under_its_own_category_and_the_sessions_under_one()
    {
        var sink = new CapturingLoggers();
        var context = new SessionContext(_project.Config(), sink);

        context.DaemonLogger("web").LogWarning("from web");
        context.DaemonLogger("db").LogWarning("from db");
        context.SessionLogger().LogInformation("from the session");

        Assert.Equal(
            [("ActorSupervisor.Daemon.web", "from web"), ("ActorSupervisor.Daemon.db", "from db"), ("ActorSupervisor.Session", "from the session")],
            sink.Entries.Select(e => (e.Category, e.Message)));
    }

    [Fact]
    public void Without_a_logger_factory_lines_go_nowhere_and_nothing_fails()
    {
        var context = new SessionContext(_project.Config(), null);

        context.DaemonLogger("web").LogError("dropped");
        context.SessionLogger().LogError("dropped");

        Assert.False(context.DaemonLogger("web").IsEnabled(LogLevel.Critical));
    }

    public void Dispose() => _project.Dispose();
}
