using System.Runtime.InteropServices;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// A spec file's refusals in their exact words and places: a stray HOCON section or setting, a setting given as a
/// list, a key given twice in a JSON entry after the first, and files that cannot be read for a reason of the OS's.
/// </summary>
public sealed partial class SpecFileRefusalSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-specrefusal-").FullName;

    private static IReadOnlyList<SpecProblem> HoconProblems(string hocon) =>
        Assert.Throws<InvalidSpecException>(() => SpecFile.ParseHocon(hocon, "specs.conf")).Problems;

    private static IReadOnlyList<SpecProblem> JsonProblems(string json) =>
        Assert.Throws<InvalidSpecException>(() => SpecFile.ParseJson(json, "specs.json")).Problems;

    [Fact]
    public void A_JSON_list_may_end_with_a_trailing_comma()
    {
        var specs = SpecFile.ParseJson("""[ { "name": "a", "command": "/bin/true", }, ]""", "specs.json");
        Assert.Equal("a", Assert.Single(specs).Name);
    }

    [Fact]
    public void A_HOCON_section_unlike_actorsupervisor_is_refused_without_a_suggestion()
    {
        Assert.Equal(
            [
                new SpecProblem("akka", null, "is not read from a spec file, which holds only actorsupervisor { ... }"),
                new SpecProblem("actorsupervisr", null, "is not read from a spec file, which holds only actorsupervisor { ... }; did you mean 'actorsupervisor'?"),
            ],
            HoconProblems("akka.loglevel = DEBUG\nactorsupervisr.daemons = []\nactorsupervisor.daemons = [ { name = a, command = /bin/true } ]"));
    }

    [Fact]
    public void A_HOCON_file_without_daemons_says_where_they_go_in_full()
    {
        var missing = new SpecProblem("actorsupervisor.daemons", null, "is missing: list the daemons in actorsupervisor.daemons = [ ... ]");
        Assert.Equal([missing], HoconProblems(""));
        Assert.Equal([missing], HoconProblems("actorsupervisor { stop-grace = 1s }"));
    }

    [Fact]
    public void A_setting_unlike_any_is_refused_listing_the_settings_and_daemons_last()
    {
        var known = string.Join(", ", SupervisorSettings.Keys.Append("daemons"));
        Assert.EndsWith(", daemons", known);
        Assert.Equal(
            [new SpecProblem("actorsupervisor.colour", null, $"is not a setting; known keys: {known}")],
            HoconProblems("actorsupervisor { colour = red, daemons = [ { name = a, command = /bin/true } ] }"));
    }

    [Fact]
    public void A_setting_given_as_a_list_or_an_object_is_refused_showing_it()
    {
        Assert.Equal(
            [
                new SpecProblem("actorsupervisor.stop-grace", "[\"1s\"]", "must be a single value, such as 5s, 10 or .ntm"),
                new SpecProblem("actorsupervisor.state-dir", "{\"a\":1}", "must be a single value, such as 5s, 10 or .ntm"),
            ],
            HoconProblems("actorsupervisor { stop-grace = [1s], state-dir { a = 1 }, daemons = [ { name = a, command = /bin/true } ] }"));
    }

    [Fact]
    public void A_key_given_twice_is_named_by_its_path_from_the_top_and_its_entry_s_index()
    {
        Assert.Contains(new SpecProblem("a", null, "is given twice in one object"), JsonProblems("""{ "a": 1, "a": 2 }"""));
        Assert.Equal(
            [new SpecProblem("[1].name", null, "is given twice in one object")],
            JsonProblems("""
                [ { "name": "a", "command": "/bin/true" },
                  { "name": "b", "name": "c", "command": "/bin/true" } ]
                """));
    }

    [Theory]
    [InlineData("[trueX]", "is not valid JSON: 'X' is invalid after a value. Expected either ',', '}', or ']' (line 1, column 6)")]
    [InlineData("[tSystem.Exception]", "is not valid JSON (line 1, column 3)")]
    [InlineData("[tSystem.X]", "is not valid JSON (line 1, column 3)")]
    [InlineData("[tAnException]", "is not valid JSON (line 1, column 3)")]
    [InlineData("[tList`1]", "is not valid JSON (line 1, column 3)")]
    public void A_JSON_syntax_error_is_one_sentence_without_the_reader_s_position_or_text_that_reads_as_a_type(string json, string problem)
    {
        Assert.Equal([new SpecProblem("file", null, problem)], JsonProblems(json));
    }

    [Fact]
    public void A_file_another_program_holds_open_for_writing_is_read()
    {
        var path = Path.Combine(_dir, "specs.json");
        File.WriteAllText(path, """[ { "name": "a", "command": "/bin/true" } ]""");
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        Assert.Equal("a", Assert.Single(SpecFile.Load(path).Specs).Name);
    }

    [Fact]
    public void A_file_behind_a_symlink_loop_is_refused_as_unreadable_in_words()
    {
        var path = Path.Combine(_dir, "loop.json");
        File.CreateSymbolicLink(path, path);
        var problem = Assert.Single(Assert.Throws<InvalidSpecException>(() => SpecFile.Load(path)).Problems);
        Assert.Equal("file", problem.Field);
        Assert.StartsWith("cannot be read: ", problem.Problem);
        Assert.DoesNotMatch(SpecFileSpecs.DotNetText(), problem.Problem);
    }

    [Fact]
    public void A_file_the_reader_may_not_read_is_refused_as_permission_denied()
    {
        var path = Path.Combine(_dir, "secret.json");
        File.WriteAllText(path, """[ { "name": "a", "command": "/bin/true" } ]""");
        File.SetUnixFileMode(path, UnixFileMode.None);
        // root reads any file; on this thread only, act as nobody for file access (the kernel's fsuid), as an
        // unprivileged user of the CLI would be.
        var previous = setfsuid(65534);
        InvalidSpecException e;
        try
        {
            e = Assert.Throws<InvalidSpecException>(() => SpecFile.Load(path));
        }
        finally
        {
            setfsuid((uint)previous);
        }
        Assert.Equal(new SpecProblem("file", null, "cannot be read: permission denied"), Assert.Single(e.Problems));
    }

    [LibraryImport("libc")]
    private static partial int setfsuid(uint fsuid);

    public void Dispose() => Directory.Delete(_dir, true);
}
