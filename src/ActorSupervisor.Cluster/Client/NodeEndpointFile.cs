using System.Text.Json;
using System.Text.Json.Serialization;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Cluster.Client;

/// <summary>
/// Where a clustered `up` of a project can be reached: <c>&lt;state&gt;/cluster/&lt;session&gt;.json</c>, written when the
/// node starts and removed when it stops, so `status`, `stop` and `restart` run in the project dir find the node and
/// ask the whole cluster through it. Untrusted on reading like every file under the state dir: capped, never followed
/// through a symbolic link, and believed only while the process it names is alive with the recorded start time.
/// </summary>
internal sealed record NodeEndpoint
{
    [JsonPropertyName("session")] public string Session { get; init; } = "";
    [JsonPropertyName("node")] public string Node { get; init; } = "";
    /// <summary>Akka's address of the node: akka.tcp://SYSTEM@HOST:PORT.</summary>
    [JsonPropertyName("address")] public string Address { get; init; } = "";
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("pid_start_time")] public ulong PidStartTime { get; init; }
}

/// <summary>Source-generated JSON for the endpoint file: the CLI that reads and writes it publishes as NativeAOT.</summary>
[JsonSerializable(typeof(NodeEndpoint))]
internal sealed partial class NodeEndpointJsonContext : JsonSerializerContext;

internal static class NodeEndpointFile
{
    private const int MaxBytes = 4096;

    public static string Dir(string stateRoot) => Path.Combine(stateRoot, "cluster");

    public static string PathFor(string stateRoot, string session) => Path.Combine(Dir(stateRoot), $"{session}.json");

    public static void Write(string stateRoot, NodeEndpoint endpoint)
    {
        var dir = Dir(stateRoot);
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = PathFor(stateRoot, endpoint.Session);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temp, options)) JsonSerializer.Serialize(stream, endpoint, NodeEndpointJsonContext.Default.NodeEndpoint);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Removes the file if it is this process's own.</summary>
    public static void Remove(string stateRoot, string session)
    {
        var path = PathFor(stateRoot, session);
        if (Read(path) is { } endpoint && endpoint.Pid == Environment.ProcessId) File.Delete(path);
    }

    /// <summary>The live nodes of the project: every file whose process is alive (optionally of one session only).</summary>
    public static IReadOnlyList<NodeEndpoint> Live(string stateRoot, string? session = null)
    {
        var dir = Dir(stateRoot);
        if (!Directory.Exists(dir) || new DirectoryInfo(dir).LinkTarget is not null) return [];
        return Directory.EnumerateFiles(dir, "*.json")
            .Select(Read)
            .OfType<NodeEndpoint>()
            .Where(e => session is null || e.Session == session)
            .Where(e => e.Pid > 1 && new ProcessIdentity(e.Pid, e.PidStartTime).IsAlive)
            .OrderBy(e => e.Session, StringComparer.Ordinal)
            .ToList();
    }

    private static NodeEndpoint? Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || !info.Exists || info.Length > MaxBytes) return null;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[MaxBytes + 1];
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxBytes) return null;
            var endpoint = JsonSerializer.Deserialize(buffer.AsSpan(0, read), NodeEndpointJsonContext.Default.NodeEndpoint);
            return endpoint is not null && endpoint.Address.StartsWith("akka.tcp://", StringComparison.Ordinal)
                                        && Daemons.Validation.IsSafeName(endpoint.Session)
                ? endpoint
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
