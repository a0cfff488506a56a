// The library is Linux-only (process groups, pidfds, posix_spawn, /proc), and it says so at the first call that would
// need Linux (Platform.EnsureLinux), with a PlatformNotSupportedException that names what it needs. It does not say
// so with [assembly: SupportedOSPlatform("linux")]: that would give every consumer whose project targets plain
// net10.0 a CA1416 warning at each call (fatal with warnings as errors), even when it builds and runs on Linux.
