using System.Diagnostics;
using System.Security.Cryptography;

namespace ActorSupervisor.Benchmarks;

/// <summary>
/// Which supervisor build was measured: the repository's HEAD, how many files under src/ differ from it, and a hash
/// of the CLI's and the library's assemblies, so that figures of a tree in motion can be told apart.
/// </summary>
internal sealed record SourceIdentity(string? Commit, int? ModifiedSrcFiles, string? AssembliesSha256)
{
    public static SourceIdentity Of(string cli)
    {
        var root = Locate.RepoRoot();
        string? commit = null;
        int? modified = null;
        if (root is not null)
        {
            commit = Git(root, "rev-parse", "--short=12", "HEAD")?.Trim();
            modified = Git(root, "status", "--porcelain", "--", "src")?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        }
        string? sha = null;
        try
        {
            var dir = Path.GetDirectoryName(cli)!;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var file in new[] { "ActorSupervisor.Cli.dll", "ActorSupervisor.dll" })
            {
                var path = Path.Combine(dir, file);
                if (File.Exists(path)) hash.AppendData(File.ReadAllBytes(path));
            }
            sha = Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return new SourceIdentity(commit, modified, sha);
    }

    private static string? Git(string root, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    public override string ToString() =>
        $"commit {Commit ?? "?"}{(ModifiedSrcFiles is > 0 ? $" + {ModifiedSrcFiles} modified file(s) under src/" : "")}, assemblies sha256 {AssembliesSha256 ?? "?"}";
}
