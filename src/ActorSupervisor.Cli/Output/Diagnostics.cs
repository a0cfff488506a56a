namespace ActorSupervisor.Cli.Output;

/// <summary>
/// Where warnings and errors meant for a person go: stderr, unless a live table owns the terminal, in which case a
/// stray line would tear its redraws apart and the table shows them itself.
/// </summary>
internal static class Diagnostics
{
    private static Action<string>? _redirect;

    public static void Write(string line)
    {
        var redirect = Volatile.Read(ref _redirect);
        if (redirect is not null)
        {
            redirect(line);
            return;
        }
        if (!StandardStreams.StderrUsable) return;
        try { Console.Error.WriteLine(line); }
        // A stderr closed under us must not take the supervisor down with it (EBADF comes as UnauthorizedAccess).
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public static IDisposable RedirectTo(Action<string> sink)
    {
        Volatile.Write(ref _redirect, sink);
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose() => Volatile.Write(ref _redirect, null);
    }
}
