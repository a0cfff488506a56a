using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// The flags several commands share, each checked while parsing so that a bad value is a parse error (exit 2)
/// whose message names the flag and the value, before anything is started or written.
/// </summary>
internal static class CliOptions
{

    public static Option<string> ProjectDir() => new("--project-dir")
    {
        Description = "The project whose daemons these are; state lives in <DIR>/.ntm (pids/, logs/). Default: the current directory.",
        HelpName = "DIR",
        DefaultValueFactory = _ => Directory.GetCurrentDirectory(),
        CustomParser = result =>
        {
            var text = Single(result);
            if (string.IsNullOrWhiteSpace(text))
            {
                result.AddError("--project-dir: must not be empty");
                return "";
            }
            var full = Path.GetFullPath(text);
            if (!Directory.Exists(full)) result.AddError($"--project-dir: '{text}' does not exist or is not a directory");
            return full;
        },
    };

    public static Option<string?> Session(string description) => new("--session")
    {
        Description = description,
        HelpName = "ID",
        CustomParser = result =>
        {
            var text = Single(result);
            // The session is part of file names and actor paths, so the library's name rule applies.
            if (!Validation.IsSafeName(text))
                result.AddError($"--session: '{text}' must be 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'");
            return text;
        },
    };

    /// <summary>A duration flag (250ms, 5s, 1m); at least 1ms, because zero would silently mean "the default".</summary>
    public static Option<TimeSpan?> Duration(string name, string description, string defaultText) => new(name)
    {
        Description = $"{description} Default: {defaultText}.",
        HelpName = "DURATION",
        CustomParser = result =>
        {
            var text = Single(result);
            if (!Configuration.Duration.TryParse(text, out var value))
            {
                result.AddError($"{name}: '{text}' is not a duration (write it like 250ms, 5s or 1m)");
                return null;
            }
            if (value < TimeSpan.FromMilliseconds(1) || value > Configuration.Duration.Longest)
            {
                result.AddError($"{name}: '{text}' must be between 1ms and 24h");
                return null;
            }
            return value;
        },
    };

    /// <summary>A whole-number flag from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static Option<int?> Count(string name, string description, int minimum, string why, int maximum = int.MaxValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
                return value;
            var range = maximum == int.MaxValue ? $"of at least {minimum}" : $"from {minimum} to {maximum}";
            result.AddError($"{name}: '{text}' must be a whole number {range}{why}");
            return null;
        },
    };

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
