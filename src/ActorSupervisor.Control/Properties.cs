// Linux-only like the library it serves (Unix sockets with peer credentials, the state dir's safe files), and it says
// so at run time rather than with [assembly: SupportedOSPlatform("linux")]: that attribute gives every consumer whose
// project targets plain net10.0 a CA1416 warning at each call (fatal with warnings as errors), even on Linux. See
// src/ActorSupervisor/Properties.cs. ControlServer.StartAsync checks the platform first.
