namespace ActorSupervisor.Health;

internal sealed record ProbeResult(bool Healthy, string? Error)
{
    public static readonly ProbeResult Ok = new(true, null);
    public static ProbeResult Fail(string error) => new(false, error);
}
