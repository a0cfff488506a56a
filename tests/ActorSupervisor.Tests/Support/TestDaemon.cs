namespace ActorSupervisor.Tests.Support;

/// <summary>Where the test daemon (tests/ActorSupervisor.TestDaemon) was built, so tests can run it as a real daemon.</summary>
public static class TestDaemon
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The apphost executable, built in the same configuration as the tests.</summary>
    public static string Path { get; } = Find();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ActorSupervisor.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find ActorSupervisor.sln above " + AppContext.BaseDirectory);
    }

    private static string Find()
    {
        // .../tests/ActorSupervisor.Tests/bin/<Configuration>/net10.0/
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = System.IO.Path.Combine(RepoRoot, "tests", "ActorSupervisor.TestDaemon", "bin", configuration, "net10.0", "testdaemon");
        if (!File.Exists(path)) throw new InvalidOperationException($"test daemon not built: {path}");
        return path;
    }
}
