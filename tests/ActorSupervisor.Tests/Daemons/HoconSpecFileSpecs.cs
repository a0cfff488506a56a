using System.Diagnostics;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// A HOCON spec file is read strictly: a quoted value stays a string, a file cut short or followed by garbage is
/// refused with the line and column, and nothing outside the file is ever read (no include).
/// </summary>
public sealed class HoconSpecFileSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-hocon-").FullName;

    private static SpecFile.Contents Parse(string hocon) => SpecFile.ParseHocon(hocon, "specs.conf");

    private static SpecProblem RefusedOnce(string hocon)
    {
        var e = Assert.Throws<InvalidSpecException>(() => Parse(hocon));
        Assert.DoesNotMatch(SpecFileSpecs.DotNetText(), e.Message);
        return Assert.Single(e.Problems);
    }

    [Fact]
    public void Quoted_numbers_and_booleans_stay_strings()
    {
        var spec = Assert.Single(Parse("""
            actorsupervisor.daemons = [
              { name = web, command = "/bin/true", args = ["--port", "8080", "true", "null", "1e3", "08"] }
            ]
            """).Specs);
        Assert.Equal(["--port", "8080", "true", "null", "1e3", "08"], spec.Args);
    }

    [Fact]
    public void Unquoted_numbers_and_booleans_are_read_as_HOCON_converts_them_to_the_field()
    {
        var spec = Assert.Single(Parse("""
            actorsupervisor.daemons = [
              { name = 123, command = /bin/true, args = [--port, 8080, true, 1.50], default-port = "8080", needs-port = yes, port_flag = --port }
            ]
            """).Specs);
        Assert.Equal("123", spec.Name);
        Assert.Equal(["--port", "8080", "true", "1.50"], spec.Args);
        Assert.Equal(8080, spec.DefaultPort);
        Assert.True(spec.NeedsPort);
        Assert.Equal("--port", spec.PortFlag);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("ON", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    [InlineData("Off", false)]
    public void HOCON_s_words_for_true_and_false_set_a_flag(string word, bool value)
    {
        var specs = Parse($$"""
            actorsupervisor.daemons = [
              { name = a, command = /bin/true, needs-port = {{word}} }
            ]
            """).Specs;
        Assert.Equal(value, Assert.Single(specs).NeedsPort);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("1")]
    [InlineData("y")]
    public void Any_other_word_for_a_flag_is_refused_naming_the_field(string word)
    {
        var problem = RefusedOnce($$"""
            actorsupervisor.daemons = [
              { name = a, command = /bin/true, needs-port = {{word}} }
            ]
            """);
        Assert.Contains("needs", problem.Field);
        Assert.Equal(word, problem.Value);
    }

    [Theory]
    [InlineData("actorsupervisor { daemons = [ { name = a, command = \"/bin/true\" } ]", 1, "never closed")]
    [InlineData("actorsupervisor { daemons = [ { name = a, command = \"/bin/true\" }", 1, "never closed")]
    [InlineData("actorsupervisor { daemons = [ { name = a, command = \"/bin/true }\n] }", 1, "string")]
    [InlineData("actorsupervisor { daemons = [] }\n}", 2, "unexpected '}'")]
    [InlineData("actorsupervisor { daemons = [] } garbage", 1, "cannot be joined")]
    [InlineData("actorsupervisor { daemons = [] }\ngarbage", 2, "garbage")]
    [InlineData("{ actorsupervisor { daemons = [] } } x", 1, "after the closing")]
    [InlineData("actorsupervisor.daemons = [ { name = a, command = /bin/true } ]]", 1, "found ']'")]
    [InlineData("actorsupervisor.daemons = [ { name = a command = x } ]", 1, "unexpected '='")]
    [InlineData("actorsupervisor.daemons = [ { name = a,, command = x } ]", 1, "unexpected ','")]
    [InlineData("actorsupervisor.daemons = ", 1, "no value")]
    [InlineData("actorsupervisor.daemons = [ { name = \"a\\q\" } ]", 1, "unknown escape")]
    [InlineData("actorsupervisor.daemons = [ { name = a, command = \"\"\"x } ]", 1, "never closed")]
    public void A_file_cut_short_or_with_garbage_is_refused_with_the_line_and_column(string hocon, int line, string words)
    {
        var problem = RefusedOnce(hocon);
        Assert.Equal("file", problem.Field);
        Assert.Contains($"line {line}, column", problem.Problem);
        Assert.Contains(words, problem.Problem);
    }

    [Theory]
    [InlineData("include \"other.conf\"")]
    [InlineData("include file(\"/etc/shadow\")")]
    [InlineData("include required(\"x\")")]
    [InlineData("actorsupervisor { include \"daemons.conf\" }")]
    public void Include_is_refused_whatever_it_names(string include)
    {
        var problem = RefusedOnce(include + "\nactorsupervisor.daemons = []");
        Assert.Contains("include is not supported", problem.Problem);
    }

    [Fact]
    public async Task An_included_file_is_never_opened_even_one_that_would_block_forever()
    {
        // A FIFO with no writer blocks whoever opens it: the refusal coming back at all shows it was not opened.
        var fifo = Path.Combine(_dir, "never.conf");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var path = Path.Combine(_dir, "specs.conf");
        File.WriteAllText(path, $"include \"{fifo}\"\nactorsupervisor.daemons = [ {{ name = a, command = /bin/true }} ]\n");
        var load = Task.Run(() => SpecFile.Load(path));
        var e = await Assert.ThrowsAsync<InvalidSpecException>(() => load.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("include is not supported", e.Message);
    }

    [Fact]
    public void Substitutions_and_appends_are_refused_with_a_way_out()
    {
        Assert.Contains("put the text in quotes", RefusedOnce("actorsupervisor.daemons = [ { name = a, command = ${HOME}/x } ]").Problem);
        Assert.Contains("'+='", RefusedOnce("actorsupervisor.daemons += { name = a, command = x }").Problem);
    }

    [Fact]
    public void A_key_set_twice_is_refused_but_objects_given_in_parts_merge()
    {
        Assert.Contains("set twice", RefusedOnce("actorsupervisor.stop-grace = 1s\nactorsupervisor.stop-grace = 2s\nactorsupervisor.daemons = []").Problem);
        var merged = Parse("actorsupervisor { stop-grace = 3s }\nactorsupervisor.daemons = [ { name = a, command = /bin/true } ]");
        Assert.Equal("3s", merged.Settings.GetString("actorsupervisor.stop-grace"));
        Assert.Equal("a", Assert.Single(merged.Specs).Name);
    }

    [Fact]
    public void Nesting_beyond_64_levels_is_refused_without_exhausting_the_stack()
    {
        var deep = "actorsupervisor.daemons = " + new string('[', 100_000) + new string(']', 100_000);
        Assert.Contains("nested more than 64", RefusedOnce(deep).Problem);
        var dotted = string.Join('.', Enumerable.Repeat("a", 100_000)) + " = 1";
        Assert.Contains("nested more than 64", RefusedOnce(dotted).Problem);
    }

    [Fact]
    public void Unknown_keys_settings_and_sections_are_refused_with_suggestions_in_the_spelling_used()
    {
        var e = Assert.Throws<InvalidSpecException>(() => Parse("""
            actorsupervisor {
              helth-interval = 5s
              stop-grace = [1s]
              daemons = [ { name = web, command = /bin/true, helth-url = "/health", needs-port = true } ]
            }
            akka.loglevel = DEBUG
            actorsupervisr.daemons = []
            """));
        Assert.Equal(
            ["akka", "actorsupervisr", "actorsupervisor.helth-interval", "actorsupervisor.stop-grace", "actorsupervisor.daemons[0].helth-url"],
            e.Problems.Select(p => p.Field));
        Assert.Contains("did you mean 'health-interval'?", e.Problems[2].Problem);
        Assert.Contains("did you mean 'health-url'?", e.Problems[4].Problem);
        Assert.Contains("did you mean 'actorsupervisor'?", e.Problems[1].Problem);
    }

    [Fact]
    public void A_field_given_in_both_spellings_is_refused_and_problems_name_the_key_as_written()
    {
        var e = Assert.Throws<InvalidSpecException>(() => Parse("""
            actorsupervisor.daemons = [
              { name = web, command = /bin/true, health-url = "/a", health_url = "/b", needs-port = true }
              { name = api, command = /bin/true, default-port = 70000 }
            ]
            """));
        Assert.Equal(["actorsupervisor.daemons[0].health_url", "actorsupervisor.daemons[1].default-port"], e.Problems.Select(p => p.Field));
        Assert.Contains("70000", e.Message);
    }

    [Fact]
    public void A_file_without_daemons_says_where_they_go()
    {
        Assert.Contains("actorsupervisor.daemons = [", RefusedOnce("").Problem);
        Assert.Contains("actorsupervisor.daemons = [", RefusedOnce("actorsupervisor { stop-grace = 1s }").Problem);
        Assert.Contains("must be a list", RefusedOnce("actorsupervisor.daemons = web").Problem);
    }

    [Fact]
    public void The_bundled_demo_conf_reads_as_before_with_its_settings()
    {
        var contents = SpecFile.Load(Path.Combine(Support.TestDaemon.RepoRoot, "hocon", "demo.conf"));
        Assert.Equal(["web", "api", "worker"], contents.Specs.Select(s => s.Name));
        Assert.Equal(["demo-daemon", "--crash-after", "20s"], contents.Specs[2].Args);
        Assert.Equal("5s", contents.Settings.GetString("actorsupervisor.health-interval"));
        Assert.Equal(5, contents.Settings.GetInt("actorsupervisor.max-restarts"));
    }

    [Fact]
    public void Comments_triple_quotes_escapes_concatenation_and_unicode_read_as_written()
    {
        var root = HoconReader.Parse(""""
            # a comment
            a {  // another
              b = [ x y   z, "\u00e9\t\"", """raw "quotes" \n""", "😀", 1.0, -5, null, true, "" ]
              c: "x" "y"
              d = http-thing
              "e.f" = 1
            },
            """");
        var b = root["a"]!["b"]!.AsArray();
        Assert.Equal("x y   z", b[0]!.GetValue<string>());
        Assert.Equal("é\t\"", b[1]!.GetValue<string>());
        Assert.Equal("raw \"quotes\" \\n", b[2]!.GetValue<string>());
        Assert.Equal("😀", b[3]!.GetValue<string>());
        Assert.Equal("1.0", b[4]!.ToJsonString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, b[5]!.GetValueKind());
        Assert.Null(b[6]);
        Assert.True(b[7]!.GetValue<bool>());
        Assert.Equal("", b[8]!.GetValue<string>());
        Assert.Equal("x y", root["a"]!["c"]!.GetValue<string>());
        Assert.Equal("http-thing", root["a"]!["d"]!.GetValue<string>());
        Assert.Equal(1, root["a"]!["e.f"]!.GetValue<int>());
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
