namespace ActorSupervisor;

/// <summary>The one check that the machine can run the supervisor.</summary>
internal static class Platform
{
    public static void EnsureLinux()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException(
                "ActorSupervisor runs on Linux only: it needs process groups, pidfds, posix_spawn and /proc (Linux 5.3+, glibc 2.36+)");
    }
}
