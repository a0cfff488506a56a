using System.Security.Cryptography;
using System.Text;

namespace ActorSupervisor.Control.Security;

/// <summary>
/// The secret every TCP request to the API must carry (Authorization: Bearer). Read from a --token-file, or made at
/// random and written, mode 0600, beside the control socket for the user's own tools.
/// </summary>
internal sealed class AccessToken
{
    private const int MaxFileBytes = 4096;
    private const int MinLength = 16;
    private readonly byte[] _bytes;

    private AccessToken(string value)
    {
        Value = value;
        _bytes = Encoding.UTF8.GetBytes(value);
    }

    public string Value { get; }

    /// <summary>Compares in constant time, so response timing tells an attacker nothing about the token.</summary>
    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(_bytes, Encoding.UTF8.GetBytes(presented));

    public static AccessToken Generate() => new(Base64Url(RandomNumberGenerator.GetBytes(32)));

    /// <summary>
    /// Reads a token file: at most 4 KiB, the first line, at least 16 characters, and not readable by anyone but its
    /// owner (a token others can read protects nothing). Throws <see cref="ArgumentException"/> with the reason.
    /// </summary>
    public static AccessToken Load(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists) throw new ArgumentException($"'{path}' does not exist");
            if ((info.UnixFileMode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                throw new ArgumentException($"'{path}' can be read or written by other users (mode {Mode(info.UnixFileMode)}); chmod 600 it");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[MaxFileBytes + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxFileBytes) throw new ArgumentException($"'{path}' is larger than {MaxFileBytes} bytes; it should hold one token");
            var text = Encoding.UTF8.GetString(buffer, 0, read);
            var line = text.Split('\n')[0].Trim();
            if (line.Length < MinLength)
                throw new ArgumentException($"'{path}': the token (its first line) must be at least {MinLength} characters");
            return new AccessToken(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"'{path}' cannot be read: {e.Message}");
        }
    }

    /// <summary>Writes the token to a new file of mode 0600 (replacing a stale one).</summary>
    public void WriteTo(string path)
    {
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(Encoding.UTF8.GetBytes(Value + "\n"));
    }

    private static string Mode(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
