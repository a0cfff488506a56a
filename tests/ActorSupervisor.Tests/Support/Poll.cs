namespace ActorSupervisor.Tests.Support;

/// <summary>
/// Waiting for a real event by polling for it. The deadline is generous (30 s) so that a loaded 2-core machine makes a
/// test slow, never wrong; a test that must bound a duration reads the supervisor's own timestamps instead.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Returns once <paramref name="condition"/> holds; throws, naming <paramref name="what"/>, if it does not within <see cref="Patience"/>.</summary>
    public static async Task Until(Func<bool> condition, string what = "the condition")
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not met within {Patience.TotalSeconds:0} s");
            await Task.Delay(20);
        }
    }
}
