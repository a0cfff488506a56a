using System.Text.RegularExpressions;
using ActorSupervisor.Cli.Output;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>
/// Turns what a command throws into the contract's exit codes, with one line (or block) on stderr. A person reads
/// these: never a stack trace, and never a message that is really .NET's (a type name, "Exception"); set
/// ACTORSUPERVISOR_DEBUG=1 to see the full exception of an unexpected error.
/// </summary>
internal static partial class Guarded
{
    public const string DebugVariable = "ACTORSUPERVISOR_DEBUG";

    [GeneratedRegex(@"System\.|Exception|`\d|\bat [A-Z][\w.]+\(", RegexOptions.CultureInvariant)]
    private static partial Regex DotNetText();

    public static async Task<int> Run(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (InvalidSpecException e)
        {
            // Names the file (or config), each entry and field, and the refused value.
            Diagnostics.Write($"actorsupervisor: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (UsageException e)
        {
            Diagnostics.Write($"actorsupervisor: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Diagnostics.Write($"actorsupervisor: error: {ForPeople(e)}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>The message of an unexpected error, unless it is .NET talking to a programmer.</summary>
    public static string ForPeople(Exception e)
    {
        if (Environment.GetEnvironmentVariable(DebugVariable) is "1" or "true") return e.ToString();
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        return message.Length == 0 || DotNetText().IsMatch(message)
            ? $"an internal error stopped the command (set {DebugVariable}=1 for the details, and please report it)"
            : message;
    }
}
