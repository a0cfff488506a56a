using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// Names and session ids end up in file names and Akka actor paths, so only [A-Za-z0-9._-] (1 to 64, not starting
/// with '.' or '-') passes: anything else is refused before anything is started, with the value shown safely.
/// </summary>
public class NameSpecs
{
    private static readonly DaemonSpec Good = new() { Name = "web", Command = "/bin/true" };

    public static TheoryData<string> EveryControlCharacter()
    {
        var data = new TheoryData<string>();
        for (var c = 0; c < 0x20; c++) data.Add(((char)c).ToString());
        data.Add("\u007f");
        for (var c = 0x80; c < 0xa0; c++) data.Add(((char)c).ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryControlCharacter))]
    public void A_control_character_anywhere_in_a_name_is_refused(string control)
    {
        foreach (var name in new[] { "web" + control, control + "web", "we" + control + "b", control })
        {
            Assert.False(Validation.IsSafeName(name), $"accepted {Escape(name)}");
            var problem = Assert.Single(Validation.Problems(Good with { Name = name }));
            Assert.Equal("name", problem.Field);
        }
    }

    [Fact]
    public void A_trailing_newline_is_refused_in_a_daemon_name_and_a_session_id()
    {
        // .NET's `$` matches before a final newline: "web\n" used to pass, and Akka then refused the actor name.
        Assert.False(Validation.IsSafeName("web\n"));
        Assert.Single(Validation.Problems(Good with { Name = "web\n" }));
        var config = Validation.Problems(new SupervisorConfig { SessionId = "s1\n", ProjectDir = Path.GetTempPath() });
        Assert.Equal("SessionId", Assert.Single(config).Field);
        Assert.Throws<InvalidSpecException>(() => Supervisor.New(new SupervisorConfig { SessionId = "s1\n", ProjectDir = Path.GetTempPath() }));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("/web")]
    [InlineData("..")]
    [InlineData("../web")]
    [InlineData("a\\b")]
    [InlineData("web:1")]
    [InlineData("web$")]
    [InlineData("web*")]
    [InlineData("web name")]
    [InlineData("wéb")]
    [InlineData("ｗｅｂ")] // fullwidth letters
    [InlineData("web\u200b")] // zero-width space
    [InlineData("\u202eweb")] // right-to-left override
    [InlineData("٣")] // a digit, but not an ASCII one
    [InlineData("\u212A")] // Kelvin sign, which case-insensitive matching would take for K
    [InlineData("web😀")]
    [InlineData("-web")]
    [InlineData(".web")]
    [InlineData("")]
    public void Path_separators_unicode_and_bad_first_characters_are_refused(string name)
    {
        Assert.False(Validation.IsSafeName(name));
        Assert.Equal("name", Assert.Single(Validation.Problems(Good with { Name = name })).Field);
        Assert.NotEmpty(Validation.Problems(new SupervisorConfig { SessionId = name, ProjectDir = Path.GetTempPath() }));
    }

    [Fact]
    public void Sixty_four_characters_pass_and_sixty_five_do_not_for_names_and_sessions()
    {
        var longest = "a" + new string('Z', 62) + "9";
        Assert.Equal(64, longest.Length);
        Assert.True(Validation.IsSafeName(longest));
        Assert.False(Validation.IsSafeName(longest + "x"));
        Assert.False(Validation.IsSafeName(longest + "\n"));
        Assert.Empty(Validation.Problems(new SupervisorConfig { SessionId = longest, ProjectDir = Path.GetTempPath() }));
        Assert.NotEmpty(Validation.Problems(new SupervisorConfig { SessionId = longest + "x", ProjectDir = Path.GetTempPath() }));
        foreach (var ok in new[] { "a", "_", "9", "a.b", "a-b", "a_b", "A.9-_" }) Assert.True(Validation.IsSafeName(ok), ok);
    }

    [Fact]
    public void A_refused_name_is_shown_escaped_and_cut_so_it_cannot_break_or_flood_the_message()
    {
        var e = Assert.Throws<InvalidSpecException>(() => Validation.EnsureValid(Good with { Name = "web\n\u001b[2J" + new string('x', 5000) }));
        Assert.Contains(@"web\n\u001b[2J", e.Message);
        Assert.DoesNotContain("\u001b", e.Message);
        Assert.Contains("(5008 characters)", e.Message);
        Assert.True(e.Message.Length < 600, e.Message);
    }

    private static string Escape(string s) => string.Concat(s.Select(c => $"\\u{(int)c:x4}"));
}
