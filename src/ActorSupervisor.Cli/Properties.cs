using System.Runtime.Versioning;

// The library is Linux-only (process groups, pidfds, /proc), and so is every command that drives it.
[assembly: SupportedOSPlatform("linux")]
