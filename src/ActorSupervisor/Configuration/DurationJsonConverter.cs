using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorSupervisor.Configuration;

/// <summary>Durations in spec files as people write them ("250ms", "5s", "1m"), the same words as the flags take.</summary>
internal sealed class DurationJsonConverter : JsonConverter<TimeSpan?>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.String && Duration.TryParse(reader.GetString(), out var value)) return value;
        throw new JsonException("is not a duration (write it like 250ms, 5s or 1m)");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
    {
        if (value is { } v) writer.WriteStringValue(Duration.Format(v));
        else writer.WriteNullValue();
    }
}
