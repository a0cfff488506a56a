using ActorSupervisor.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>
/// The HOCON reader on its own: each refusal in its exact words at its exact line and column, the nesting limit at
/// its exact edge, and the corners of what it accepts (comments after values, a braced file, merged objects, every
/// escape, a key that only starts with "include").
/// </summary>
public sealed class HoconReaderSpecs
{
    private static string Json(string hocon) => HoconReader.Parse(hocon).ToJsonString();

    private static (int Line, int Column, string Problem) Refusal(string hocon)
    {
        var e = Assert.Throws<HoconSyntaxException>(() => HoconReader.Parse(hocon));
        return (e.Line, e.Column, e.Message);
    }

    [Theory]
    [InlineData("a", 1, 2, "'a' has no value (the file ends first)")]
    [InlineData("include", 1, 8, "'include' has no value (the file ends first)")]
    [InlineData("a b", 1, 3, "expected '=' or ':' after 'a', found 'b'")]
    [InlineData("a.b\tc", 1, 5, "expected '=' or ':' after 'a.b', found 'c'")]
    [InlineData("= 1", 1, 1, "expected a key, found '='")]
    [InlineData("x = 1\na.", 2, 3, "expected a key (the file ends first)")]
    [InlineData("a. = 1", 1, 3, @"expected a key, found '\u0020'")]
    [InlineData("a \ud83d\ude00 = 1", 1, 3, @"expected '=' or ':' after 'a', found '\ud83d'")]
    [InlineData("\"\"\"a\"\"\" = 1", 1, 1, "a key cannot be a triple-quoted string")]
    [InlineData("a = [ , ]", 1, 7, "unexpected ',' in a list")]
    [InlineData("a = [ }", 1, 7, "unexpected '}' in a list")]
    [InlineData("a = [ 1 }", 1, 9, "expected a comma or a new line between list items, found '}'")]
    [InlineData("a = x [1]", 1, 7, "a list or an object cannot be joined with other values: put a comma or a new line before it")]
    [InlineData("a = ,", 1, 5, "expected a value, found ','")]
    [InlineData("a = \"abc", 1, 5, "the string opened here is never closed (the file ends first)")]
    [InlineData("a = \"abc\\", 1, 5, "the string opened here is never closed (the file ends first)")]
    [InlineData("a = \"\\u00e9", 1, 5, "the string opened here is never closed (the file ends first)")]
    [InlineData("a = \"\\u00e", 1, 6, "\\u must be followed by four hex digits")]
    [InlineData("a = \"\\uzzzz\"", 1, 6, "\\u must be followed by four hex digits")]
    [InlineData("a = \"x\\q\"", 1, 7, "unknown escape \\q in a string")]
    [InlineData("a = 1\na.b = 2", 2, 1, "'a' is set twice: once to a value and once to an object")]
    [InlineData("a.b = 1\nx = 2\n  a.b.c = 2", 3, 3, "'a.b' is set twice: once to a value and once to an object")]
    [InlineData("a {\n  b = 1\n  c = [1 2 }\n}", 3, 12, "expected a comma or a new line between list items, found '}'")]
    public void Each_refusal_names_its_line_column_and_problem_exactly(string hocon, int line, int column, string problem)
    {
        Assert.Equal((line, column, problem), Refusal(hocon));
    }

    [Fact]
    public void A_file_in_braces_may_start_after_blank_lines_and_comments()
    {
        Assert.Equal("""{"a":1,"b":{"c":"d"}}""", Json("  \n# why\n// how\n{ a = 1\n  b { c = d } }\n"));
    }

    [Fact]
    public void A_comment_may_follow_any_value_on_its_line_and_end_the_file()
    {
        Assert.Equal("""{"a":1,"b":[1,2,[3]],"c":{},"d":"x y"}""",
            Json("a = 1# one\nb = [1// two\n 2, [3] # three\n ] // four\nc { } # five\nd = x y // six"));
    }

    [Fact]
    public void Nesting_is_accepted_up_to_64_levels_and_refused_at_65()
    {
        Assert.StartsWith("{\"a\":[[", Json("a = " + new string('[', 64) + new string(']', 64)));
        Assert.Equal((1, 69, "values are nested more than 64 levels deep"), Refusal("a = " + new string('[', 65) + new string(']', 65)));

        var dotted = string.Join('.', Enumerable.Repeat("k", 64));
        Assert.StartsWith("{\"k\":{\"k\":", Json(dotted + " = 1"));
        Assert.Equal((1, 130, "keys are nested more than 64 levels deep"), Refusal(dotted + ".k = 1"));

        // Objects count as levels too: 64 objects inside one another are read, a 65th is refused.
        Assert.StartsWith("{\"o\":{\"o\":", Json(string.Concat(Enumerable.Repeat("o { ", 64)) + new string('}', 64)));
        Assert.Equal((1, 258, "keys are nested more than 64 levels deep"), Refusal(string.Concat(Enumerable.Repeat("o { ", 65)) + new string('}', 65)));
        Assert.Equal((1, 72, "values are nested more than 64 levels deep"), Refusal("o { a = " + new string('[', 64) + new string(']', 64) + " }"));
    }

    [Fact]
    public void A_closed_object_or_list_gives_its_levels_back()
    {
        var siblings = string.Join('\n', Enumerable.Range(0, 40).Select(i => $"o{i} {{ x = [1] }}\nl{i} = [[1]]"));
        Assert.Equal(80, HoconReader.Parse(siblings).Count);
    }

    [Fact]
    public void Every_escape_of_a_quoted_string_is_read()
    {
        Assert.Equal("\\ / \b \f \n \r \t \" é", HoconReader.Parse("a = \"\\\\ \\/ \\b \\f \\n \\r \\t \\\" \\u00e9\"")["a"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("a = x\"y\"z", "xyz")]
    [InlineData("a = \"x\"  y", "x  y")]
    [InlineData("a = \"\"\"x\"\"\"\"", "x\"")]
    [InlineData("a = \"\"\"x\"\"\"", "x")]
    [InlineData("a = \"\"\"x\"\"\" ", "x")]
    public void Pieces_of_a_value_join_with_exactly_the_spaces_between_them(string hocon, string value)
    {
        Assert.Equal(value, HoconReader.Parse(hocon)["a"]!.GetValue<string>());
    }

    [Fact]
    public void Unquoted_true_false_and_null_are_those_values()
    {
        Assert.Equal("""{"t":true,"f":false,"n":null,"s":"false"}""", Json("t = true\nf = false\nn = null\ns = \"false\""));
    }

    [Fact]
    public void An_object_given_twice_is_merged_key_by_key()
    {
        Assert.Equal("""{"a":{"x":1,"b":{"c":3,"d":4},"y":2}}""", Json("a { x = 1, b { c = 3 } }\na { y = 2, b { d = 4 } }"));
    }

    [Theory]
    [InlineData("include = 1", """{"include":1}""")]
    [InlineData("include: 1", """{"include":1}""")]
    [InlineData("includes = 1", """{"includes":1}""")]
    [InlineData("include { a = 1 }", """{"include":{"a":1}}""")]
    public void A_key_named_include_or_starting_with_it_is_a_key(string hocon, string json)
    {
        Assert.Equal(json, Json(hocon));
    }
}
