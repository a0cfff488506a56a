using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorSupervisor.Configuration;

/// <summary>Durations as people write them in spec files and flags: 250ms, 5s, 1.5s, 1m, 2h.</summary>
internal static partial class Duration
{
    [GeneratedRegex(@"^\s*(?<n>[0-9]{1,20}(\.[0-9]{1,20})?)\s*(?<u>ms|s|m|h)\s*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>
    /// The longest duration any setting or flag takes: longer is a typo rather than an intention, and .NET's timers
    /// refuse delays beyond about 49 days (inside an actor, where the refusal would fail a daemon instead of the input).
    /// </summary>
    public static readonly TimeSpan Longest = TimeSpan.FromHours(24);

    /// <summary>False for text that is not a duration, and for one too long for a TimeSpan (never throws).</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        var m = Pattern().Match(text ?? "");
        if (!m.Success) return false;
        var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        try
        {
            value = m.Groups["u"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        }
        catch (OverflowException)
        {
            return false;
        }
        return true;
    }

    public static TimeSpan Parse(string text, string field) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"{field}: '{text}' is not a duration (write it like 250ms, 5s or 1m)");

    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds % 1000 != 0 || value < TimeSpan.FromSeconds(1)
            ? $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"
            : value.TotalSeconds % 60 != 0 ? $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
            : $"{value.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m";
}
