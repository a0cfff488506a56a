using System.Runtime.Versioning;

// Process groups, pidfds and /proc are Linux's; the library says so rather than pretending otherwise.
[assembly: SupportedOSPlatform("linux")]
