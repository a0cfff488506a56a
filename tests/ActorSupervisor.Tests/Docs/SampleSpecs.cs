using System.Diagnostics;
using System.Text.RegularExpressions;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Docs;

/// <summary>
/// What the docs show works as shown: each sample under samples/ runs to the end (exit 0) and leaves no daemon behind,
/// and each ```csharp block of README.md and docs/library.md compiles, exactly as written, as the Program.cs of a
/// console app that references src/ActorSupervisor with warnings as errors, outside this repository's build settings.
/// </summary>
public sealed partial class SampleSpecs
{
    private static readonly string Configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    [Theory]
    [InlineData("Facade")]
    [InlineData("AkkaHosting")]
    [InlineData("GenericHost")]
    public async Task A_sample_runs_to_the_end_and_leaves_no_daemon_behind(string sample)
    {
        var dir = Path.Combine(TestDaemon.RepoRoot, "samples", sample, "bin", Configuration, "net10.0");
        var exe = Path.Combine(dir, sample);
        Assert.True(File.Exists(exe), $"{exe} is not built (the samples are in the solution)");
        var (code, output) = await Run(exe, dir, TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"{sample} exited {code}:\n{output}");
        Assert.Contains("running", output);
        // Every sample supervises itself ("<sample> serve"): none of those may be left.
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)),
            d => ProcessScan.CommandLine(int.Parse(Path.GetFileName(d))) is [var first, "serve", ..] && first.EndsWith(sample, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_csharp_block_in_the_README_and_docs_library_compiles_as_written()
    {
        var blocks = new[] { "README.md", "docs/library.md" }
            .SelectMany(doc => CSharpBlock().Matches(File.ReadAllText(Path.Combine(TestDaemon.RepoRoot, doc)))
                .Select((m, i) => (Name: $"{Path.GetFileNameWithoutExtension(doc)}{i + 1}", Code: m.Groups["code"].Value)))
            .ToList();
        Assert.NotEmpty(blocks);

        var root = Directory.CreateTempSubdirectory("actorsupervisor-snippets-").FullName;
        try
        {
            var library = Path.Combine(TestDaemon.RepoRoot, "src", "ActorSupervisor", "ActorSupervisor.csproj");
            foreach (var (name, snippet) in blocks)
            {
                var project = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
                await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), snippet);
                await File.WriteAllTextAsync(Path.Combine(project, $"{name}.csproj"), $"""
                    <Project Sdk="Microsoft.NET.Sdk">
                      <PropertyGroup>
                        <OutputType>Exe</OutputType>
                        <TargetFramework>net10.0</TargetFramework>
                        <Nullable>enable</Nullable>
                        <ImplicitUsings>enable</ImplicitUsings>
                        <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                      </PropertyGroup>
                      <ItemGroup><ProjectReference Include="{library}" /></ItemGroup>
                    </Project>
                    """);
            }
            // One build for all of them; the library is already built, so it is referenced, not rebuilt.
            await File.WriteAllTextAsync(Path.Combine(root, "Directory.Build.props"), "<Project />");
            await File.WriteAllTextAsync(Path.Combine(root, "all.proj"), $"""
                <Project DefaultTargets="Build">
                  <ItemGroup><Snippet Include="*/*.csproj" /></ItemGroup>
                  <Target Name="Restore"><MSBuild Projects="@(Snippet)" Targets="Restore" /></Target>
                  <Target Name="Build"><MSBuild Projects="@(Snippet)" Targets="Build" BuildInParallel="true"
                      Properties="Configuration={Configuration};BuildProjectReferences=false" /></Target>
                </Project>
                """);
            var (code, output) = await Run("dotnet", root, TimeSpan.FromMinutes(5), "build", "all.proj", "-nologo", "-clp:ErrorsOnly");
            Assert.True(code == 0, $"a snippet does not compile as written:\n{output}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private static async Task<(int Code, string Output)> Run(string file, string dir, TimeSpan limit, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
