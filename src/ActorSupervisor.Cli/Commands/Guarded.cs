using ActorSupervisor.Daemons;

namespace ActorSupervisor.Cli.Commands;

/// <summary>Turns what a command throws into the contract's exit codes, with one line (or block) on stderr.</summary>
internal static class Guarded
{
    public static async Task<int> Run(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (InvalidSpecException e)
        {
            // Names the file (or config), each entry and field, and the refused value.
            Console.Error.WriteLine($"actorsupervisor: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"actorsupervisor: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"actorsupervisor: error: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
