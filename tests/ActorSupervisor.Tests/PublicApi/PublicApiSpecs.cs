using System.Reflection;
using System.Text.RegularExpressions;
using ActorSupervisor.Cluster;
using ActorSupervisor.Control;
using ActorSupervisor.Tests.Support;
using PublicApiGenerator;

namespace ActorSupervisor.Tests.PublicApi;

/// <summary>
/// The public API of every library that ships as a package is the one reviewed and committed beside this file
/// (<c>&lt;assembly&gt;.approved.txt</c>): any change to it, intended or not, fails here until someone approves it.
/// On a difference the text as built is written beside the approved one as <c>&lt;assembly&gt;.received.txt</c>
/// (ignored by git); review it, and approve it by copying it over the approved file.
/// </summary>
public sealed partial class PublicApiSpecs
{
    public static TheoryData<string> ShippedLibraries => ["ActorSupervisor", "ActorSupervisor.Control", "ActorSupervisor.Cluster"];

    [Theory]
    [MemberData(nameof(ShippedLibraries))]
    public void The_public_API_is_the_approved_one(string assembly)
    {
        var received = Generate(Load(assembly));
        var dir = Path.Combine(TestDaemon.RepoRoot, "tests", "ActorSupervisor.Tests", "PublicApi");
        var approvedPath = Path.Combine(dir, $"{assembly}.approved.txt");
        var receivedPath = Path.Combine(dir, $"{assembly}.received.txt");
        var approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : "";

        if (approved == received)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, received);
        Assert.Fail($"""
            The public API of {assembly} is not the approved one (first difference at line {FirstDifference(approved, received)}).
            The API as built is in {receivedPath}.
            Review it as an API change (names, nullability, nothing internal showing); if it is what you meant, approve it:
              cp {receivedPath} {approvedPath}
            """);
    }

    /// <summary>docs/library.md's table of public types is the core library's public surface: no more, no fewer.</summary>
    [Fact]
    public void The_library_docs_list_exactly_the_public_types_of_the_core_library()
    {
        var public_ = Load("ActorSupervisor").GetExportedTypes().Where(t => !t.IsNested).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        var doc = File.ReadAllText(Path.Combine(TestDaemon.RepoRoot, "docs", "library.md"));
        var table = PublicTypesTable().Match(doc);
        Assert.True(table.Success, "docs/library.md has no table of public types (a '| what | types |' table)");
        // The types column only, without its remarks in parentheses (which quote members).
        var listed = table.Groups["rows"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(row => TypeName().Matches(Remark().Replace(row.Split('|')[2], "")))
            .Select(m => m.Groups["name"].Value).Distinct().Order(StringComparer.Ordinal).ToList();

        Assert.True(public_.SequenceEqual(listed), $"""
            docs/library.md's table and the public types differ.
            public but not listed: {string.Join(", ", public_.Except(listed))}
            listed but not public: {string.Join(", ", listed.Except(public_))}
            """);
    }

    /// <summary>
    /// The scheduler is internal, but apps name it in HOCON (docs/configuration.md): that name is public API, and Akka
    /// creates the type from it through its public constructor.
    /// </summary>
    [Fact]
    public void The_scheduler_apps_name_in_HOCON_loads_by_that_name()
    {
        const string documented = "ActorSupervisor.Scheduling.TimerQueueScheduler, ActorSupervisor";
        Assert.Contains(documented, File.ReadAllText(Path.Combine(TestDaemon.RepoRoot, "docs", "configuration.md")));
        var type = Type.GetType(documented);
        Assert.NotNull(type);
        Assert.True(typeof(Akka.Actor.IScheduler).IsAssignableFrom(type));
        Assert.NotNull(type.GetConstructor([typeof(Akka.Configuration.Config), typeof(Akka.Event.ILoggingAdapter)]));
    }

    private static Assembly Load(string name) => name switch
    {
        "ActorSupervisor" => typeof(Supervisor).Assembly,
        "ActorSupervisor.Control" => typeof(ControlServer).Assembly,
        "ActorSupervisor.Cluster" => typeof(ClusterSupervisor).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a shipped library"),
    };

    private static string Generate(Assembly assembly) => Normalize(assembly.GeneratePublicApi(new ApiGeneratorOptions
    {
        // What the build stamps on every assembly (target framework, Source Link's repository URL) is not API, and the
        // URL differs between clones.
        ExcludeAttributes =
        [
            "System.Runtime.Versioning.TargetFrameworkAttribute",
            "System.Reflection.AssemblyMetadataAttribute",
        ],
    }));

    private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimEnd() + "\n";

    private static int FirstDifference(string a, string b)
    {
        var (x, y) = (a.Split('\n'), b.Split('\n'));
        var i = 0;
        while (i < x.Length && i < y.Length && x[i] == y[i]) i++;
        return i + 1;
    }

    [GeneratedRegex(@"^\| what \| types \|\n\|[-|]+\|\n(?<rows>(?:\|.*\|\n)+)", RegexOptions.Multiline)]
    private static partial Regex PublicTypesTable();

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex Remark();

    [GeneratedRegex(@"`(?<name>[A-Z][A-Za-z]+)`")]
    private static partial Regex TypeName();
}
