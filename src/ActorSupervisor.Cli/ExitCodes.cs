namespace ActorSupervisor.Cli;

/// <summary>The exit codes outside tools rely on (design section 7); nothing else may be returned.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}

/// <summary>
/// Bad input found by the CLI itself (a flag's value, a missing argument). Its message names the flag and the value,
/// and it is thrown before anything is started or written, so it always means exit code 2.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
