using System.Text;
using ActorSupervisor.Configuration;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>env_file in the dotenv format: every accepted form, every refusal (naming the file and the line), and a capped read of a real file.</summary>
public sealed class DotEnvSpecs : IDisposable
{
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    private static string[] Parse(string text) => DotEnv.Parse(text, "app.env").Select(p => $"{p.Key}={p.Value}").ToArray();

    private static string Refusal(string text) => Assert.Throws<FormatException>(() => DotEnv.Parse(text, "app.env")).Message;

    [Fact]
    public void Blank_lines_and_comments_are_skipped_and_the_rest_kept_in_order_duplicates_included()
    {
        var text = "# a comment\n\nA=1\n   # an indented comment\r\n  \t \nB=2\nA=3\n";
        Assert.Equal(["A=1", "B=2", "A=3"], Parse(text));
    }

    [Theory]
    [InlineData("KEY=value", "KEY=value")]
    [InlineData("  KEY  =  value  ", "KEY=value")]
    [InlineData("KEY=value\r", "KEY=value")]
    [InlineData("export KEY=value", "KEY=value")]
    [InlineData("export    KEY=value", "KEY=value")]
    [InlineData("exportKEY=value", "exportKEY=value")]
    [InlineData("_k9=", "_k9=")]
    [InlineData("KEY=a=b", "KEY=a=b")]
    [InlineData("KEY=value # a comment", "KEY=value")]
    [InlineData("KEY=value#not-a-comment", "KEY=value#not-a-comment")]
    [InlineData("KEY= # only a comment", "KEY=# only a comment")]
    [InlineData("KEY=value \t # comment", "KEY=value")]
    public void A_bare_value_is_trimmed_and_loses_a_trailing_comment(string line, string expected)
    {
        Assert.Equal([expected], Parse(line));
    }

    [Theory]
    [InlineData("KEY=\"a b\"", "a b")]
    [InlineData("KEY=\"  padded  \"", "  padded  ")]
    [InlineData("KEY=\"a # b\"", "a # b")]
    [InlineData("KEY=\"line\\nbreak\"", "line\nbreak")]
    [InlineData("KEY=\"tab\\there\"", "tab\there")]
    [InlineData("KEY=\"cr\\rhere\"", "cr\rhere")]
    [InlineData("KEY=\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("KEY=\"back\\\\slash\"", "back\\slash")]
    [InlineData("KEY=\"other \\x escape\"", "other x escape")]
    [InlineData("KEY=\"\"", "")]
    [InlineData("KEY=\"quoted\" # comment after", "quoted")]
    public void A_double_quoted_value_keeps_its_spaces_and_reads_its_escapes(string line, string value)
    {
        var pair = Assert.Single(DotEnv.Parse(line, "app.env"));
        Assert.Equal("KEY", pair.Key);
        Assert.Equal(value, pair.Value);
    }

    [Theory]
    [InlineData("KEY='a b'", "a b")]
    [InlineData("KEY='lit\\neral'", "lit\\neral")]
    [InlineData("KEY='with \"double\" quotes'", "with \"double\" quotes")]
    [InlineData("KEY=''", "")]
    [InlineData("KEY='x' # comment", "x")]
    public void A_single_quoted_value_is_taken_literally(string line, string value)
    {
        Assert.Equal(value, Assert.Single(DotEnv.Parse(line, "app.env")).Value);
    }

    [Theory]
    [InlineData("JUSTAWORD", "env_file app.env line 1: expected KEY=VALUE")]
    [InlineData("=value", "env_file app.env line 1: expected KEY=VALUE")]
    [InlineData("export", "env_file app.env line 1: expected KEY=VALUE")]
    [InlineData("1KEY=v", "env_file app.env line 1: '1KEY' is not a variable name (letters, digits and _, not starting with a digit)")]
    [InlineData("MY-KEY=v", "env_file app.env line 1: 'MY-KEY' is not a variable name (letters, digits and _, not starting with a digit)")]
    [InlineData("MY KEY=v", "env_file app.env line 1: 'MY KEY' is not a variable name (letters, digits and _, not starting with a digit)")]
    [InlineData("KEY=\"open", "env_file app.env line 1: the double quote is not closed")]
    [InlineData("KEY=\"escaped at the end\\\"", "env_file app.env line 1: the double quote is not closed")]
    [InlineData("KEY='open", "env_file app.env line 1: the single quote is not closed")]
    [InlineData("KEY=\"nul\\\0\"", "env_file app.env line 1: the value contains a NUL character")]
    [InlineData("KEY=a\0b", "env_file app.env line 1: the value contains a NUL character")]
    public void A_line_that_is_not_a_variable_is_refused_naming_the_file_the_line_and_why(string line, string message)
    {
        Assert.Equal(message, Refusal(line));
    }

    [Fact]
    public void The_line_number_counts_blank_and_comment_lines()
    {
        Assert.Equal("env_file app.env line 4: expected KEY=VALUE", Refusal("A=1\n\n# comment\nbroken\nB=2"));
    }

    [Fact]
    public void An_escaped_backslash_just_before_the_closing_quote_is_one_backslash()
    {
        Assert.Equal("a\\", Assert.Single(DotEnv.Parse("K=\"a\\\\\"", "f")).Value);
    }

    [Fact]
    public void A_file_is_read_and_parsed()
    {
        var path = Path.Combine(_project.Dir, "app.env");
        File.WriteAllText(path, "export A=1\nB=\"two words\"\n");
        Assert.Equal([new("A", "1"), new("B", "two words")], DotEnv.Load(path));
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_read_and_one_byte_more_is_refused_unread()
    {
        var path = Path.Combine(_project.Dir, "big.env");
        var line = "A=" + new string('x', DotEnv.MaxBytes - 3) + "\n";
        File.WriteAllText(path, line);
        Assert.Equal(DotEnv.MaxBytes - 3, Assert.Single(DotEnv.Load(path)).Value.Length);

        File.WriteAllText(path, line + "\n");
        var e = Assert.Throws<FormatException>(() => DotEnv.Load(path));
        Assert.Equal($"env_file {path}: is larger than 256 KiB or not a regular file", e.Message);
    }

    [Fact]
    public void A_missing_file_or_a_directory_is_refused_naming_it()
    {
        var missing = Path.Combine(_project.Dir, "missing.env");
        Assert.StartsWith($"env_file {missing}: cannot be read: ", Assert.Throws<FormatException>(() => DotEnv.Load(missing)).Message);
        Assert.StartsWith($"env_file {_project.Dir}: cannot be read: ", Assert.Throws<FormatException>(() => DotEnv.Load(_project.Dir)).Message);
    }

    [Fact]
    public void A_file_that_is_not_UTF8_is_refused()
    {
        var path = Path.Combine(_project.Dir, "latin1.env");
        File.WriteAllBytes(path, [.. "A="u8, 0xE9, 0xFF, (byte)'\n']);
        Assert.Equal($"env_file {path}: is not UTF-8 text", Assert.Throws<FormatException>(() => DotEnv.Load(path)).Message);
    }

    [Fact]
    public void A_UTF8_value_is_kept_as_written()
    {
        var path = Path.Combine(_project.Dir, "utf8.env");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes("GREETING=héllo wörld\n"));
        Assert.Equal("héllo wörld", Assert.Single(DotEnv.Load(path)).Value);
    }
}
