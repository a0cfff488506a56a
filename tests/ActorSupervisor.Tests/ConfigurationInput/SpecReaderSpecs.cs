using System.Text.Json.Nodes;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>
/// The words a refusal uses: what a field takes, said in words for every type a spec has (never a .NET type name),
/// and the value the user wrote, shown as written and cut short when it is long.
/// </summary>
public sealed class SpecReaderSpecs
{
    private enum Plain { First, SecondOne }

    [Theory]
    [InlineData(typeof(string), "a string")]
    [InlineData(typeof(bool), "true or false")]
    [InlineData(typeof(bool?), "true or false")]
    [InlineData(typeof(int), "a whole number")]
    [InlineData(typeof(int?), "a whole number")]
    [InlineData(typeof(long), "a whole number")]
    [InlineData(typeof(short), "a whole number")]
    [InlineData(typeof(uint), "a whole number")]
    [InlineData(typeof(ushort), "a whole number")]
    [InlineData(typeof(byte), "a whole number")]
    [InlineData(typeof(double), "a number")]
    [InlineData(typeof(float), "a number")]
    [InlineData(typeof(decimal), "a number")]
    [InlineData(typeof(TimeSpan), "a duration such as 250ms, 5s or 1m")]
    [InlineData(typeof(TimeSpan?), "a duration such as 250ms, 5s or 1m")]
    [InlineData(typeof(DateTimeOffset), "a time such as 2026-01-15T10:30:00Z")]
    [InlineData(typeof(DateTime), "a time such as 2026-01-15T10:30:00Z")]
    [InlineData(typeof(RestartPolicy), "one of always, on-failure, never")]
    [InlineData(typeof(Plain), "one of first, secondone")]
    [InlineData(typeof(string[]), "a list of strings")]
    [InlineData(typeof(IReadOnlyList<string>), "a list of strings")]
    [InlineData(typeof(List<int>), "a list, each item a whole number")]
    [InlineData(typeof(IEnumerable<TimeSpan>), "a list, each item a duration such as 250ms, 5s or 1m")]
    [InlineData(typeof(IReadOnlyDictionary<string, string>), "an object whose values are each a string")]
    [InlineData(typeof(IDictionary<string, int>), "an object whose values are each a whole number")]
    [InlineData(typeof(Dictionary<string, bool>), "an object whose values are each true or false")]
    [InlineData(typeof(Dictionary<int, string>), "an object")]
    [InlineData(typeof(HashSet<string>), "an object")]
    [InlineData(typeof(DaemonSpec), "an object")]
    public void Every_field_type_is_described_in_words(Type type, string words) =>
        Assert.Equal(words, SpecReader.Describe(type));

    [Fact]
    public void A_value_is_shown_as_the_user_wrote_it()
    {
        Assert.Equal("null", SpecReader.ShowNode(null));
        Assert.Equal("web server", SpecReader.ShowNode(JsonValue.Create("web server")));
        Assert.Equal("8080", SpecReader.ShowNode(JsonValue.Create(8080)));
        Assert.Equal("true", SpecReader.ShowNode(JsonValue.Create(true)));
        Assert.Equal("""["a",1]""", SpecReader.ShowNode(new JsonArray("a", 1)));
    }

    [Fact]
    public void A_list_or_object_of_more_than_twenty_is_shown_by_its_size_and_one_of_twenty_whole()
    {
        JsonArray List(int n) => new(Enumerable.Range(0, n).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        JsonObject Object(int n) => new(Enumerable.Range(0, n).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)JsonValue.Create(i))));
        Assert.Equal("a list of 21 items", SpecReader.ShowNode(List(21)));
        Assert.Equal("[" + string.Join(",", Enumerable.Range(0, 20)) + "]", SpecReader.ShowNode(List(20)));
        Assert.Equal("an object of 21 keys", SpecReader.ShowNode(Object(21)));
        Assert.StartsWith("{\"k0\":0,", SpecReader.ShowNode(Object(20)));
    }

    [Fact]
    public void A_long_value_is_cut_at_four_times_the_shown_length()
    {
        var limit = 4 * SpecProblem.ShownLength;
        var exactly = new JsonArray(JsonValue.Create(new string('x', limit - 4))); // ["xxx…"] is limit characters
        Assert.Equal(limit, SpecReader.ShowNode(exactly).Length);
        Assert.EndsWith("\"]", SpecReader.ShowNode(exactly));
        var longer = new JsonArray(JsonValue.Create(new string('x', limit)));
        Assert.Equal("[\"" + new string('x', limit - 2), SpecReader.ShowNode(longer));
    }
}
