using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Daemons;

/// <summary>
/// An optional time in NTM's JSON: Go's encoder writes an unset <c>time.Time</c> as its zero value,
/// <c>0001-01-01T00:00:00Z</c>, which reads here as unset (null) rather than as the year 1. Null is written as null,
/// which Go reads as its zero time.
/// </summary>
internal sealed class NtmTimeConverter : JsonConverter<DateTimeOffset?>
{
    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
            throw new JsonException("must be a time like 2026-01-15T10:30:00Z");
        return value == DateTimeOffset.MinValue ? null : value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } v) writer.WriteStringValue(v);
        else writer.WriteNullValue();
    }
}
