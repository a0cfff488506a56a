using ActorSupervisor.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>"Did you mean ...?": the edit distance, how near is near enough, and the advice given either way.</summary>
public sealed class SpellingSpecs
{
    private static readonly string[] Keys = ["name", "command", "health_url", "health_cmd", "port_flag", "default_port"];

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "abd", 1)]
    [InlineData("abc", "ab", 1)]
    [InlineData("ab", "abc", 1)]
    [InlineData("abc", "acb", 1)]   // neighbours swapped: one edit
    [InlineData("abcd", "badc", 2)]
    [InlineData("ca", "abc", 3)]    // optimal string alignment, not full Damerau
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    public void The_distance_counts_insertions_deletions_substitutions_and_swaps_of_neighbours(string a, string b, int distance)
    {
        Assert.Equal(distance, Spelling.Distance(a, b));
    }

    [Theory]
    [InlineData("helth_url", "health_url")]
    [InlineData("Name", "name")]
    [InlineData("COMMAND", "command")]
    [InlineData("comand", "command")]
    [InlineData("port_falg", "port_flag")]
    [InlineData("defualt_port", "default_port")]
    [InlineData("health_cnd", "health_cmd")]
    public void A_typo_finds_the_key_meant(string typo, string meant)
    {
        Assert.Equal(meant, Spelling.Nearest(typo, Keys));
    }

    [Theory]
    [InlineData("colour")]
    [InlineData("xyz")]
    [InlineData("health")]
    [InlineData("")]
    public void A_word_far_from_every_key_finds_none(string word)
    {
        Assert.Null(Spelling.Nearest(word, Keys));
    }

    [Fact]
    public void Near_enough_is_one_edit_per_three_characters_and_at_least_one()
    {
        Assert.Equal("b", Spelling.Nearest("a", ["b"]));          // 1 edit, 1 character: the floor of one
        Assert.Null(Spelling.Nearest("ab", ["xy"]));              // 2 edits, 2 characters
        Assert.Equal("abcdef", Spelling.Nearest("abxdyf", ["abcdef"])); // 2 edits, 6 characters
        Assert.Null(Spelling.Nearest("axxdef", ["abcdez"]));        // 3 edits, 6 characters
        Assert.Equal("abcdefghi", Spelling.Nearest("abcxyzghi", ["abcdefghi"])); // 3 edits, 9 characters
        Assert.Null(Spelling.Nearest("abcxyzgh", ["abcdefghi"]));   // 4 edits, 9 characters
        // The longer of the two words counts: 3 edits are near enough for 9 characters even when the key known has 6.
        Assert.Equal("abcdef", Spelling.Nearest("abcdefxyz", ["abcdef"]));
        Assert.Equal("abcdefxyz", Spelling.Nearest("abcdef", ["abcdefxyz"]));
    }

    [Fact]
    public void Of_two_keys_equally_near_the_first_in_ordinal_order_wins_whatever_order_they_come_in()
    {
        Assert.Equal("cat", Spelling.Nearest("bat", ["hat", "cat"]));
        Assert.Equal("cat", Spelling.Nearest("bat", ["cat", "hat"]));
        // Ordinal order settles ties only: a farther key that sorts first does not displace the nearest.
        Assert.Equal("cat", Spelling.Nearest("bat", ["cat", "aaa"]));
    }

    [Fact]
    public void A_nearer_key_wins_over_an_earlier_one()
    {
        Assert.Equal("health_url", Spelling.Nearest("helth_url", ["health_cmd", "health_url"]));
    }

    [Fact]
    public void A_key_of_more_than_200_characters_is_no_typo()
    {
        var key = new string('a', 201);
        Assert.Null(Spelling.Nearest(key, [key]));
        Assert.Equal(new string('a', 200), Spelling.Nearest(new string('a', 200), [new string('a', 200)]));
    }

    [Fact]
    public void The_advice_suggests_the_near_key_or_lists_the_keys_there_are()
    {
        Assert.Equal("did you mean 'health_url'?", Spelling.Advice("helth_url", Keys));
        Assert.Equal("known keys: a, b", Spelling.Advice("zzzz", ["a", "b"]));
    }

    [Fact]
    public void The_advice_spells_keys_as_the_caller_writes_them()
    {
        Assert.Equal("did you mean 'health-url'?", Spelling.Advice("helth_url", Keys, k => k.Replace('_', '-')));
        Assert.Equal("known keys: a-b, c", Spelling.Advice("zzzz", ["a_b", "c"], k => k.Replace('_', '-')));
    }
}
