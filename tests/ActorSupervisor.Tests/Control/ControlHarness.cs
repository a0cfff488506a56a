using System.Text.Json;
using System.Text.RegularExpressions;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Control;

/// <summary>
/// A project with a running `up` (the real executable) and the CLI commands that talk to it, for the control specs.
/// Everything started here is killed on dispose; each spec ends by stopping `up` and checking nothing is left: no
/// process, PID file, port, and no control socket, lock or token.
/// </summary>
public sealed partial class ControlHarness : IDisposable
{
    public static readonly string[] Quick = ["--health-interval", "200ms", "--backoff-min", "50ms", "--backoff-max", "1s"];

    public TestProject Project { get; }
    private readonly List<CliProcess> _clis = [];

    public ControlHarness(string? projectDir = null)
    {
        Project = new TestProject();
        if (projectDir is not null) Directory.CreateDirectory(projectDir);
        Dir = projectDir ?? Project.Dir;
    }

    /// <summary>The project dir (the test project's, or a given one, e.g. a very long path).</summary>
    public string Dir { get; }

    public string Session => Project.SessionId;

    public string ControlDir => Path.Combine(Dir, ".ntm", "control");

    public CliProcess Up(params string[] args) => Start(["up", "--project-dir", Dir, "--session", Session, .. args]);

    /// <summary>A CLI command that runs until stopped (events, logs -f, up).</summary>
    public CliProcess Start(params string[] args)
    {
        var cli = CliProcess.Start(Project, args);
        _clis.Add(cli);
        return cli;
    }

    /// <summary>A CLI command run to its end, in the project (its --project-dir added).</summary>
    public Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(Project, [.. args, "--project-dir", Dir]);

    public string WriteSpecs(string file, params DaemonSpec[] specs)
    {
        var path = Path.Combine(Project.Dir, file);
        File.WriteAllText(path, JsonSerializer.Serialize(specs));
        return path;
    }

    /// <summary>`status --json`, checked to be a JSON array, by daemon name.</summary>
    public async Task<Dictionary<string, JsonElement>> Status()
    {
        var status = await Run("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone());
    }

    /// <summary>Asks `status --json` until <paramref name="daemon"/> satisfies <paramref name="condition"/>.</summary>
    public async Task<JsonElement> WaitForStatus(string daemon, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + CliProcess.Patience;
        while (true)
        {
            var status = await Status();
            if (status.TryGetValue(daemon, out var d) && condition(d)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{daemon}: {what}; last status: {(status.TryGetValue(daemon, out var last) ? last.ToString() : "absent")}");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"dashboard and API (?<url>http://\S+/) \(token in (?<token>[^)]+)\)")]
    private static partial Regex HttpLine();

    /// <summary>The TCP listener's URL and token, from the line `up` writes on stderr when it starts.</summary>
    public static async Task<(string Url, string Token)> Http(CliProcess up)
    {
        Match? found = null;
        await Poll.Until(() => (found = up.Stderr.Select(l => HttpLine().Match(l)).FirstOrDefault(m => m.Success)) is not null,
            "up printed no dashboard line:\n" + string.Join('\n', up.Stderr));
        return (found!.Groups["url"].Value, File.ReadAllText(found.Groups["token"].Value).Trim());
    }

    /// <summary>SIGTERM to `up`: exit 0, and the control socket, lock and token are gone with it.</summary>
    public async Task StopUp(CliProcess up, int expectedExit = 0)
    {
        up.Signal(Native.SIGTERM);
        Assert.Equal(expectedExit, await up.WaitForExitAsync());
        AssertNoControlFiles();
    }

    public void AssertNoControlFiles()
    {
        if (Directory.Exists(ControlDir)) Assert.Empty(Directory.GetFileSystemEntries(ControlDir));
    }

    public async Task AssertNothingLeftBehind()
    {
        await Project.AssertNothingLeftBehind();
        AssertNoControlFiles();
    }

    public void Dispose()
    {
        foreach (var cli in _clis) cli.Dispose();
        Project.Dispose();
        if (Dir != Project.Dir)
        {
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }
}
