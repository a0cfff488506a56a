using System.Text.Json;
using System.Text.RegularExpressions;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// A JSON spec file is untrusted input: every problem is reported at once, each naming the entry, the field and the
/// value and saying in words what was expected; unknown keys are refused with a suggestion; NTM's own fields pass.
/// </summary>
public partial class SpecFileSpecs
{
    [GeneratedRegex(@"System\.|Exception|`1\[")]
    public static partial Regex DotNetText();

    private static InvalidSpecException Refused(string json) =>
        Assert.Throws<InvalidSpecException>(() => SpecFile.ParseJson(json, "specs.json"));

    [Fact]
    public void A_key_with_a_typo_is_refused_with_the_key_it_probably_meant()
    {
        var e = Refused("""[{"name": "web", "command": "/bin/true", "helth_url": "/health", "default_port": 8080}]""");
        var problem = Assert.Single(e.Problems);
        Assert.Equal("[0].helth_url", problem.Field);
        Assert.Contains("did you mean 'health_url'?", problem.Problem);
    }

    [Theory]
    [InlineData("Name", "name")]
    [InlineData("comand", "command")]
    [InlineData("arg", "args")]
    [InlineData("helthcmd", "health_cmd")]
    [InlineData("port-flag", "port_flag")]
    [InlineData("defualt_port", "default_port")]
    [InlineData("workdir", "work_dir")]
    [InlineData("enviroment", null)]
    [InlineData("requires_port", "require_port")]
    [InlineData("lifetme", "lifetime")]
    [InlineData("depend_on", "depends_on")] // an orchestration field: known because DaemonSpec has it
    public void Every_unknown_key_is_refused_with_the_nearest_known_one_or_the_list(string key, string? meant)
    {
        var e = Refused($$"""[{"name": "web", "command": "/bin/true", "{{key}}": "x"}]""");
        var problem = Assert.Single(e.Problems);
        Assert.Equal($"[0].{key}", problem.Field);
        Assert.Contains(meant is null ? "known keys: args, " : $"did you mean '{meant}'?", problem.Problem);
    }

    [Fact]
    public void NTMs_own_fields_are_all_accepted_including_those_not_implemented_here()
    {
        // Every json tag of NTM's DaemonSpec (internal/supervisor/supervisor.go), as NTM's encoder writes them.
        const string ntm = """
            [{"name":"cm","command":"cm","args":["serve"],"health_url":"/health","health_cmd":null,"health_mcp":false,
              "port_flag":"--port","default_port":8200,"no_port_fallback":false,"work_dir":"","env":null}]
            """;
        var spec = Assert.Single(SpecFile.ParseJson(ntm, "ntm.json"));
        Assert.Equal("cm", spec.Name);
        Assert.False(spec.RequirePort);
        foreach (var field in new[] { "name", "command", "args", "health_url", "health_cmd", "health_mcp", "port_flag", "default_port", "no_port_fallback", "work_dir", "env" })
            Assert.True(SpecFields.IsKnown(field), field);
        // Ours too.
        foreach (var field in new[] { "require_port", "needs_port", "lifetime" }) Assert.True(SpecFields.IsKnown(field), field);
    }

    [Fact]
    public void The_known_keys_come_from_DaemonSpec_itself_so_a_new_property_is_known_at_once()
    {
        var fromAttributes = typeof(DaemonSpec).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
                .Cast<System.Text.Json.Serialization.JsonPropertyNameAttribute>().SingleOrDefault()?.Name)
            .OfType<string>();
        Assert.Equal(fromAttributes.Order(), SpecFields.Ours.Keys.Order());
        // A spec written out (as a snapshot carries it) reads back: no helper property leaks in as an unknown key.
        var written = JsonSerializer.Serialize(new[] { new DaemonSpec { Name = "web", Command = "/bin/true", NeedsPort = true, HealthUrl = "/h" } });
        Assert.Equal("web", Assert.Single(SpecFile.ParseJson(written, "written.json")).Name);
    }

    [Fact]
    public void NTMs_no_port_fallback_means_require_port_and_health_mcp_is_read()
    {
        var dir = Directory.CreateTempSubdirectory("actorsupervisor-specfile-").FullName;
        try
        {
            var path = Path.Combine(dir, "ntm.json");
            File.WriteAllText(path, """[{"name":"cm","command":"cm","default_port":8200,"no_port_fallback":true,"health_mcp":true}]""");
            var contents = SpecFile.Load(path);
            var spec = Assert.Single(contents.Specs);
            Assert.True(spec.RequirePort);
            Assert.True(spec.HealthMcp);
            Assert.Empty(contents.Notices);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Every_type_error_of_every_entry_is_reported_in_one_run_in_words()
    {
        var e = Refused("""
            [
              {"name": 7, "command": ["x"], "args": ["--port", 8080, null], "default_port": "8080", "lifetime": 1},
              {"name": "b", "command": "/bin/true", "health_cmd": "b --health", "env": {"A": "1"}, "needs_port": "yes"},
              {"name": "c", "command": "/bin/true", "default_port": 99999999999, "require_port": 1}
            ]
            """);
        Assert.Equal(
            ["[0].name", "[0].command", "[0].args[1]", "[0].args[2]", "[0].default_port", "[0].lifetime",
             "[1].health_cmd", "[1].env", "[1].needs_port", "[2].default_port", "[2].require_port"],
            e.Problems.Select(p => p.Field));
        Assert.DoesNotMatch(DotNetText(), e.Message);
        Assert.Contains("[0].args[1]: must be a string (in quotes) (got '8080')", e.Message);
        Assert.Contains("[0].default_port: must be a whole number, without quotes (got '8080')", e.Message);
        Assert.Contains("[0].lifetime: must be one of persistent, ephemeral (got '1')", e.Message);
        Assert.Contains("[1].health_cmd: must be a list of strings (got 'b --health')", e.Message);
        Assert.Contains("[1].needs_port: must be true or false (got 'yes')", e.Message);
        Assert.Contains("[2].default_port: must be a whole number from -2147483648 to 2147483647 (got '99999999999')", e.Message);
    }

    [Fact]
    public void A_field_whose_form_is_wrong_is_not_reported_twice()
    {
        // "name": 7 is a form problem; the name rule ("must be 1 to 64 of ...") is not added on top of it.
        var e = Refused("""[{"name": 7, "command": "/bin/true"}]""");
        Assert.Equal("[0].name", Assert.Single(e.Problems).Field);
    }

    [Theory]
    [InlineData("""{"name": "web"}""", "file", "must be a JSON array")]
    [InlineData("""["web"]""", "[0]", "must be a daemon spec")]
    [InlineData("""[[]]""", "[0]", "must be a daemon spec")]
    [InlineData("""[{"name": "web", "command": "/bin/true", "name": "api"}]""", "[0].name", "given twice")]
    [InlineData("""[{"name": "web", "command": "/bin/true", "lifetime": "forever"}]""", "[0].lifetime", "one of persistent, ephemeral")]
    public void Wrong_shapes_are_refused_naming_where(string json, string field, string words)
    {
        var e = Refused(json);
        Assert.Contains(e.Problems, p => p.Field == field && p.Problem.Contains(words));
        Assert.DoesNotMatch(DotNetText(), e.Message);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("[{\"name\": \"web\",", "ends before every [ and { is closed")]
    [InlineData("[{\"name\": \"web\"}] trailing", "is not valid JSON")]
    [InlineData("[{name: \"web\"}]", "is not valid JSON")]
    public void Text_that_is_not_JSON_is_refused_with_the_line_and_column_and_no_dotnet_words(string json, string words)
    {
        var problem = Assert.Single(Refused(json).Problems);
        Assert.Equal("file", problem.Field);
        Assert.Contains(words, problem.Problem);
        Assert.Contains("line 1", problem.Problem);
        Assert.DoesNotMatch(DotNetText(), problem.Problem);
    }

    [Fact]
    public void Null_means_unset_for_every_field_as_Go_reads_it()
    {
        var spec = Assert.Single(SpecFile.ParseJson("""
            [{"name": "web", "command": "/bin/true", "args": null, "env": null, "health_cmd": null, "health_url": null,
              "port_flag": null, "default_port": null, "work_dir": null, "require_port": null, "needs_port": null, "lifetime": null}]
            """, "nulls.json"));
        Assert.Empty(spec.Args);
        Assert.Empty(spec.Env);
        Assert.Null(spec.HealthCmd);
        Assert.Equal(0, spec.DefaultPort);
        Assert.Equal(DaemonLifetime.Persistent, spec.Lifetime);
        Assert.Equal(["/bin/true"], spec.Argv(0));
        var missing = Refused("""[{"name": null, "command": null}]""");
        Assert.Equal(["[0].name", "[0].command"], missing.Problems.Select(p => p.Field));
    }

    [Fact]
    public void A_file_that_is_a_directory_missing_huge_or_not_UTF8_is_refused_in_words()
    {
        var dir = Directory.CreateTempSubdirectory("actorsupervisor-specfile-").FullName;
        try
        {
            Assert.Contains("is a directory", Assert.Throws<InvalidSpecException>(() => SpecFile.Load(dir)).Message);
            Assert.Contains("does not exist", Assert.Throws<InvalidSpecException>(() => SpecFile.Load(Path.Combine(dir, "none.json"))).Message);
            Assert.Contains("larger than 4 MiB", Assert.Throws<InvalidSpecException>(() => SpecFile.Load("/dev/zero")).Message);
            var latin1 = Path.Combine(dir, "latin1.json");
            File.WriteAllBytes(latin1, [(byte)'[', 0xe9, (byte)']']);
            Assert.Contains("is not UTF-8", Assert.Throws<InvalidSpecException>(() => SpecFile.Load(latin1)).Message);
            var bom = Path.Combine(dir, "bom.json");
            File.WriteAllText(bom, """[{"name": "web", "command": "/bin/true"}]""", new System.Text.UTF8Encoding(true));
            Assert.Equal("web", Assert.Single(SpecFile.Load(bom).Specs).Name);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Thousands_of_problems_are_counted_rather_than_all_printed()
    {
        var json = "[" + string.Join(",", Enumerable.Range(0, 2000).Select(_ => "{\"name\": 1}")) + "]";
        var e = Refused(json);
        Assert.Equal(4000, e.Problems.Count); // name's form and command missing, per entry
        Assert.Contains("... and 3950 more problems", e.Message);
        Assert.True(e.Message.Length < 10_000);
    }
}
