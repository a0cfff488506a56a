using System.Text.Json;
using ActorSupervisor.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>Durations as written in spec files and flags: what parses, what is refused, and how one is written back.</summary>
public sealed class DurationSpecs
{
    [Theory]
    [InlineData("0ms", 0)]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("0.5h", 1_800_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData(" 5 s ", 5_000)]
    [InlineData("\t5s\n", 5_000)]
    [InlineData("00000000000000000001s", 1_000)]
    [InlineData("1.00000000000000000000s", 1_000)]
    public void Written_durations_parse(string text, long milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
        Assert.Equal(value, Duration.Parse(text, "stop_grace"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5S")]
    [InlineData("5sec")]
    [InlineData("1.s")]
    [InlineData(".5s")]
    [InlineData("5s5")]
    [InlineData("x5s")]
    [InlineData("5d")]
    [InlineData("5us")]
    [InlineData("123456789012345678901s")]
    [InlineData("1.123456789012345678901s")]
    public void Anything_else_is_not_a_duration(string? text)
    {
        Assert.False(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Fact]
    public void Parse_names_the_field_and_the_text_it_refuses()
    {
        var e = Assert.Throws<FormatException>(() => Duration.Parse("5 seconds", "stop_grace"));
        Assert.Equal("stop_grace: '5 seconds' is not a duration (write it like 250ms, 5s or 1m)", e.Message);
    }

    [Theory]
    [InlineData(0, "0ms")]
    [InlineData(1, "1ms")]
    [InlineData(250, "250ms")]
    [InlineData(999, "999ms")]
    [InlineData(1_000, "1s")]
    [InlineData(1_500, "1500ms")]
    [InlineData(59_000, "59s")]
    [InlineData(60_000, "1m")]
    [InlineData(61_000, "61s")]
    [InlineData(90_000, "90s")]
    [InlineData(120_000, "2m")]
    [InlineData(3_600_000, "60m")]
    public void A_duration_is_written_in_the_largest_unit_that_holds_it_whole(long milliseconds, string text)
    {
        Assert.Equal(text, Duration.Format(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.True(Duration.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), back);
    }

    private sealed record Holder(TimeSpan? Grace);

    private static readonly JsonSerializerOptions Options = new() { Converters = { new DurationJsonConverter() } };

    [Fact]
    public void In_JSON_a_duration_is_a_string_as_written_and_null_is_no_value()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), JsonSerializer.Deserialize<Holder>("""{"Grace":"5s"}""", Options)!.Grace);
        Assert.Null(JsonSerializer.Deserialize<Holder>("""{"Grace":null}""", Options)!.Grace);
        Assert.Equal("""{"Grace":"1500ms"}""", JsonSerializer.Serialize(new Holder(TimeSpan.FromMilliseconds(1500)), Options));
        Assert.Equal("""{"Grace":null}""", JsonSerializer.Serialize(new Holder(null), Options));
    }

    [Theory]
    [InlineData("""{"Grace":5}""")]
    [InlineData("""{"Grace":"5 seconds"}""")]
    [InlineData("""{"Grace":true}""")]
    [InlineData("""{"Grace":{}}""")]
    public void In_JSON_anything_but_a_duration_string_is_refused_saying_how_to_write_one(string json)
    {
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Holder>(json, Options));
        Assert.StartsWith("is not a duration (write it like 250ms, 5s or 1m)", e.Message);
    }
}
