using System.Runtime.InteropServices;
using System.Text;

namespace ActorSupervisor.TestDaemon;

/// <summary>
/// --record-signals: appends "&lt;pid&gt; &lt;event&gt;" lines to a file that several processes may share (every
/// daemon of a test, and their later incarnations). Events: "start", the name of each signal caught ("SIGTERM"),
/// and "exit N" when the process exits by itself or after a signal it handles. A process killed by SIGKILL (or by a
/// signal it does not catch) writes no exit line, which is how a test tells a forced kill from a graceful stop.
/// </summary>
internal sealed class SignalRecorder(string path)
{
    // Every catchable signal a supervisor might send by mistake, besides TERM and INT (which Program handles).
    // SIGKILL and SIGSTOP cannot be caught; the runtime owns SEGV, ABRT, BUS, FPE, ILL, CHLD and PIPE.
    private static readonly (int Number, string Name)[] Others =
    [
        (1, "SIGHUP"), (3, "SIGQUIT"), (10, "SIGUSR1"), (12, "SIGUSR2"), (14, "SIGALRM"), (18, "SIGCONT"),
        (20, "SIGTSTP"), (21, "SIGTTIN"), (22, "SIGTTOU"), (28, "SIGWINCH"),
    ];

    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_APPEND = 0x400;

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc")]
    private static extern int close(int fd);

    private readonly int _pid = Environment.ProcessId;
    private readonly List<PosixSignalRegistration> _registrations = [];

    /// <summary>
    /// One O_APPEND write per line (FileMode.Append is not O_APPEND), so lines from processes sharing the file never
    /// overwrite one another.
    /// </summary>
    public void Write(string what)
    {
        var line = Encoding.UTF8.GetBytes($"{_pid} {what}\n");
        lock (this)
        {
            int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0x1A4);
            if (fd < 0) return;
            try { write(fd, line, line.Length); }
            finally { close(fd); }
        }
    }

    /// <summary>Catches, records and otherwise ignores every signal in <see cref="Others"/>.</summary>
    public void RecordOtherSignals()
    {
        foreach (var (number, name) in Others)
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)number, ctx =>
            {
                ctx.Cancel = true;
                Write(name);
            }));
        }
    }
}
