using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Cli;
using ActorSupervisor.Tests.Support;
using Xunit.Abstractions;

namespace ActorSupervisor.Tests.Hostile;

/// <summary>
/// Spec files as a hostile or careless user writes them: hundreds of mutations of valid JSON and HOCON files (wrong
/// types, huge values, deep nesting, control characters, unicode, truncation, duplicate keys, null everywhere, unknown
/// keys, garbage), generated from a fixed seed so a failure can be replayed. Every case goes through SpecFile.Load;
/// a few dozen also through the real `actorsupervisor up`. Each is either accepted (and then valid by the library's
/// own rules, and run and stopped cleanly by the CLI) or refused with exit code 2 and a message that names a field,
/// carries no .NET type name and no stack trace, and leaves nothing behind.
/// </summary>
public sealed partial class SpecFuzzSpecs(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 20261126;
    private const int CasesPerFormat = 320;
    private const int CliCases = 30;
    private const int CliAcceptedCases = 4;

    [GeneratedRegex(@"System\.|Exception|`1\[")]
    private static partial Regex DotNetText();

    [GeneratedRegex(@"^\s+at \S+", RegexOptions.Multiline)]
    private static partial Regex StackTraceLine();

    // "  [0].name: must be ..." or "  file: is not valid JSON": every refusal lists at least one field.
    [GeneratedRegex(@"^  [^\s:][^:]*: \S", RegexOptions.Multiline)]
    private static partial Regex ProblemLine();

    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-fuzz-").FullName;

    private sealed record Case(int Number, string Kind, string Path, string Mutation);

    private sealed record Outcome(Case Case, bool Accepted, string? Message);

    [Fact]
    public async Task Hundreds_of_fuzzed_spec_files_are_refused_in_words_or_accepted_as_valid_and_the_CLI_agrees()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cases = Generate();
        var outcomes = new List<Outcome>();
        var failures = new List<string>();
        var projectDir = Directory.CreateDirectory(Path.Combine(_dir, "project")).FullName;

        foreach (var c in cases)
        {
            try
            {
                var contents = SpecFile.Load(c.Path, projectDir);
                // The file's settings as `up` takes them (SupervisorSettings reads them, then the config is checked).
                Validation.EnsureValid(SupervisorSettings.Apply(new SupervisorConfig { SessionId = "s", ProjectDir = projectDir }, contents.Settings));
                outcomes.Add(new Outcome(c, true, null));
                // Accepted means valid by the library's own rules: nothing reaches the actors that they would refuse.
                var problems = Validation.Problems(contents.Specs.Cast<DaemonSpec?>().ToList(), projectDir);
                if (problems.Count > 0) failures.Add($"{c}: accepted but invalid: {string.Join("; ", problems)}");
            }
            catch (InvalidSpecException e)
            {
                outcomes.Add(new Outcome(c, false, e.Message));
                if (DotNetText().IsMatch(e.Message)) failures.Add($"{c}: .NET text in: {e.Message}");
                if (StackTraceLine().IsMatch(e.Message)) failures.Add($"{c}: stack trace in: {e.Message}");
                if (e.Problems.Count == 0 || e.Problems.Any(p => string.IsNullOrWhiteSpace(p.Field) || string.IsNullOrWhiteSpace(p.Problem)))
                    failures.Add($"{c}: a problem without a field: {e.Message}");
                if (e.Message.Any(ch => char.IsControl(ch) && ch != '\n'))
                    failures.Add($"{c}: a raw control character in: {SpecProblem.Show(e.Message, 400)}");
            }
            catch (Exception e)
            {
                failures.Add($"{c}: escaped as {e.GetType().Name}: {e.Message}");
            }
        }

        var refused = outcomes.Count(o => !o.Accepted);
        var withTypeNames = outcomes.Count(o => o.Message is { } m && DotNetText().IsMatch(m));
        output.WriteLine($"SpecFile.Load: {cases.Count} cases (seed {Seed}), {refused} refused, {outcomes.Count - refused} accepted, " +
                         $"{withTypeNames} messages with .NET type names, {failures.Count} failures, {clock.ElapsedMilliseconds} ms");
        foreach (var kind in outcomes.GroupBy(o => o.Case.Mutation.Split('+', ':')[0]).OrderBy(g => g.Key))
            output.WriteLine($"  {kind.Key}: {kind.Count()} cases, {kind.Count(o => !o.Accepted)} refused");
        foreach (var sample in outcomes.Where(o => !o.Accepted).Take(5)) output.WriteLine($"sample refusal ({sample.Case.Mutation}):\n{sample.Message}");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(20)));
        Assert.True(refused > cases.Count / 2, $"only {refused} of {cases.Count} refused: the mutations are too gentle");
        Assert.True(outcomes.Count - refused >= CliAcceptedCases, "too few accepted cases to run through the CLI");

        // Through the real CLI: the refused cases spread over the run, and a few accepted ones run and are stopped.
        var refusedForCli = outcomes.Where(o => !o.Accepted && new FileInfo(o.Case.Path).Length < SpecFile.MaxBytes)
            .Where((_, i) => i % 7 == 0).Take(CliCases - CliAcceptedCases);
        var acceptedForCli = outcomes.Where(o => o.Accepted).Where((_, i) => i % 5 == 0).Take(CliAcceptedCases);
        var cliFailures = new List<string>();
        var cliRuns = 0;
        clock.Restart();
        foreach (var outcome in refusedForCli.Concat(acceptedForCli))
        {
            cliRuns++;
            cliFailures.AddRange(await ThroughTheCli(outcome));
        }
        output.WriteLine($"actorsupervisor up: {cliRuns} cases, {cliFailures.Count} failures, {clock.ElapsedMilliseconds} ms");
        Assert.True(cliFailures.Count == 0, string.Join("\n\n", cliFailures));
    }

    private async Task<IReadOnlyList<string>> ThroughTheCli(Outcome outcome)
    {
        var failures = new List<string>();
        using var project = new TestProject();
        var (c, accepted) = (outcome.Case, outcome.Accepted);
        var args = new[] { "up", "--specs", c.Path, "--project-dir", project.Dir, "--session", project.SessionId,
            "--backoff-min", "50ms", "--backoff-max", "200ms", "--stop-grace", "1s", "--health-interval", "200ms" };
        if (!accepted)
        {
            var result = await CliProcess.RunAsync(project, args);
            if (result.ExitCode != 2) failures.Add($"{c}: exit {result.ExitCode}, not 2\n{result}");
            if (!ProblemLine().IsMatch(result.Err)) failures.Add($"{c}: no field named\n{result}");
            if (DotNetText().IsMatch(result.Err) || StackTraceLine().IsMatch(result.Err)) failures.Add($"{c}: .NET text\n{result}");
            if (result.Stdout.Count > 0) failures.Add($"{c}: wrote to stdout\n{result}");
            if (Directory.Exists(Path.Combine(project.Dir, ".ntm"))) failures.Add($"{c}: created .ntm");
        }
        else
        {
            using var up = CliProcess.Start(project, args);
            var deadline = DateTime.UtcNow + CliProcess.Patience;
            while (!up.HasExited && !up.Stdout.Any(l => StateLine.SupervisorUp().IsMatch(l)) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            if (!up.HasExited) up.Signal(Native.SIGTERM);
            var code = await up.WaitForExitAsync();
            foreach (var state in up.States) project.RememberPort(state.Port);
            // 1 when a daemon could not start (a fuzzed command that does not exist): reported, not a crash.
            if (code is not (0 or 1)) failures.Add($"{c}: accepted, but up exited {code}\n{string.Join('\n', up.Stderr)}");
            var err = string.Join('\n', up.Stderr);
            if (DotNetText().IsMatch(err) || StackTraceLine().IsMatch(err)) failures.Add($"{c}: .NET text\n{err}");
        }
        try
        {
            await project.AssertNothingLeftBehind();
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException)
        {
            failures.Add($"{c}: left something behind: {e.Message}");
        }
        return failures;
    }

    // ---- Generation -------------------------------------------------------------------------------------------

    private List<Case> Generate()
    {
        var rng = new Random(Seed);
        var cases = new List<Case>();
        for (var i = 0; i < CasesPerFormat; i++)
        {
            var (text, mutation) = MutateJson(rng);
            cases.Add(Write(cases.Count, "json", text, mutation));
        }
        for (var i = 0; i < CasesPerFormat; i++)
        {
            var (text, mutation) = MutateHocon(rng);
            cases.Add(Write(cases.Count, "conf", text, mutation));
        }
        // A few by hand that random choice would rarely hit.
        cases.Add(Write(cases.Count, "json", new string('[', 100_000), "deep:100k ["));
        cases.Add(Write(cases.Count, "conf", "actorsupervisor.daemons = " + new string('[', 100_000), "deep:100k ["));
        cases.Add(Write(cases.Count, "conf", "a" + string.Concat(Enumerable.Repeat(".a", 50_000)) + " = 1", "deep:50k dotted"));
        cases.Add(Write(cases.Count, "json", "[" + new string(' ', SpecFile.MaxBytes) + "]", "huge:over the cap"));
        cases.Add(WriteBytes(cases.Count, "json", [.. "[{\"name\":\""u8, 0xff, 0xfe, .. "\"}]"u8], "encoding:invalid UTF-8"));
        cases.Add(WriteBytes(cases.Count, "conf", [.. "actorsupervisor.daemons = [{name = \""u8, 0xc3, .. "\"}]"u8], "encoding:invalid UTF-8"));
        return cases;
    }

    private Case Write(int n, string ext, string text, string mutation) =>
        WriteBytes(n, ext, Encoding.UTF8.GetBytes(text), mutation);

    private Case WriteBytes(int n, string ext, byte[] bytes, string mutation)
    {
        var path = Path.Combine(_dir, $"case-{n:D4}.{ext}");
        File.WriteAllBytes(path, bytes);
        return new Case(n, ext, path, mutation);
    }

    private static JsonArray BaseSpecs() => new()
    {
        new JsonObject
        {
            ["name"] = "web", ["command"] = TestDaemon.Path, ["args"] = new JsonArray("--stdout-lines", "1"),
            ["port_flag"] = "--port", ["needs_port"] = true, ["health_url"] = "/health", ["env"] = new JsonArray("A=1"),
            ["depends_on"] = new JsonObject { ["worker"] = "started" }, ["stop_grace"] = "1s",
        },
        new JsonObject { ["name"] = "worker", ["command"] = TestDaemon.Path, ["args"] = new JsonArray(), ["work_dir"] = ".", ["lifetime"] = "persistent" },
        new JsonObject { ["name"] = "checked", ["command"] = TestDaemon.Path, ["health_cmd"] = new JsonArray("/bin/true"), ["default_port"] = 0, ["require_port"] = false,
            ["restart"] = "always", ["health_interval"] = "500ms" },
    };

    /// <summary>Values no field wants, or wants only in part: every JSON kind, edges of every range, hostile text.</summary>
    private static JsonNode? HostileValue(Random rng)
    {
        switch (rng.Next(30))
        {
            case 0: return null;
            case 1: return true;
            case 2: return false;
            case 3: return 0;
            case 4: return -1;
            case 5: return JsonNode.Parse("2147483648");
            case 6: return JsonNode.Parse("1e308");
            case 7: return JsonNode.Parse("99999999999999999999999999999999999999999999");
            case 8: return 1.5;
            case 9: return "";
            case 10: return " ";
            case 11: return "\0";
            case 12: return "web\n";
            case 13: return new string('x', rng.Next(65, 20_000));
            case 14: return "😀\u202e\u0301\u200b";
            case 15: return string.Concat(Enumerable.Range(0, 32).Select(i => (char)i));
            case 16: return new JsonArray();
            case 17: return new JsonArray((JsonNode?)null);
            case 18: return new JsonArray(1, 2);
            case 19: return new JsonObject();
            case 20: return new JsonObject { ["a"] = 1 };
            case 21: return Nest(rng.Next(10, 200));
            case 22: return "-1";
            case 23: return "../../etc/passwd";
            case 24: return "/";
            case 25: return "8080";
            case 26: return "${HOME}";
            case 27: return "\u001b[2J\u001b[31mred";
            case 28: return new JsonArray("a", 1, true, null, new JsonObject());
            default: return "true";
        }
    }

    private static JsonNode Nest(int depth)
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < depth; i++) node = new JsonArray(node);
        return node;
    }

    private static readonly string[] UnknownKeys = ["helth_url", "Name", "comand", "arg", "port-flag", "workdir", "depnds_on", "restrat", "x", "", " ", "name\n", "😀"];

    /// <summary>One to three changes to the tree; returns the mutation's name for the counts.</summary>
    private static string MutateTree(Random rng, JsonArray specs)
    {
        var names = new List<string>();
        var changes = rng.Next(1, 4);
        for (var n = 0; n < changes; n++)
        {
            var entry = specs.Count > 0 ? specs[rng.Next(specs.Count)] as JsonObject : null;
            var op = rng.Next(10);
            if (entry is null || entry.Count == 0) op = 7;
            var keys = entry?.Select(kv => kv.Key).ToList() ?? [];
            switch (op)
            {
                case 0 or 1 or 2:
                {
                    var key = keys[rng.Next(keys.Count)];
                    entry![key] = HostileValue(rng);
                    names.Add("type");
                    break;
                }
                case 3:
                {
                    var key = keys[rng.Next(keys.Count)];
                    var value = entry![key];
                    entry.Remove(key);
                    entry[UnknownKeys[rng.Next(UnknownKeys.Length)]] = value;
                    names.Add("unknown-key");
                    break;
                }
                case 4:
                    entry!.Remove(keys[rng.Next(keys.Count)]);
                    names.Add("missing");
                    break;
                case 5:
                    foreach (var key in keys) entry![key] = null;
                    names.Add("null-everywhere");
                    break;
                case 6:
                    specs.Add(entry!.DeepClone());
                    names.Add("duplicate-name");
                    break;
                case 7:
                    specs.Add(HostileValue(rng));
                    names.Add("entry");
                    break;
                case 8:
                {
                    var key = keys[rng.Next(keys.Count)];
                    if (entry![key] is JsonArray list) list.Add(HostileValue(rng));
                    else entry[key] = new JsonArray(HostileValue(rng));
                    names.Add("list-item");
                    break;
                }
                default:
                    entry!["name"] = HostileValue(rng) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v : (JsonNode)"a/b";
                    names.Add("name");
                    break;
            }
        }
        return string.Join('+', names.Distinct());
    }

    private static (string Text, string Mutation) MutateJson(Random rng)
    {
        var specs = BaseSpecs();
        // About one case in ten is left valid (or only lightly touched), so the accepted path is exercised too.
        var mutation = rng.Next(10) == 0 ? "none" : MutateTree(rng, specs);
        var text = specs.ToJsonString(new JsonSerializerOptions { WriteIndented = rng.Next(2) == 0, MaxDepth = 1000 });
        switch (rng.Next(8))
        {
            case 0:
                return (text[..rng.Next(text.Length)], "truncated");
            case 1:
                var at = rng.Next(text.Length);
                return (text[..at] + Garbage(rng) + text[at..], "garbage");
            case 2:
                return (text + Garbage(rng), "trailing");
            case 3:
                // A key given twice in one object, which the tree cannot express.
                return (text.Replace("\"name\":", "\"name\": \"dup\", \"name\":"), "duplicate-key" + (mutation == "none" ? "" : "+" + mutation));
            case 4 when rng.Next(4) == 0:
                return (rng.Next(3) switch { 0 => "{}", 1 => "null", _ => "\"specs\"" }, "root");
            default:
                return (text, mutation);
        }
    }

    private static (string Text, string Mutation) MutateHocon(Random rng)
    {
        var specs = BaseSpecs();
        var mutation = rng.Next(10) == 0 ? "none" : MutateTree(rng, specs);
        var settings = new StringBuilder();
        settings.Append("  health-interval = 200ms\n");
        switch (rng.Next(6))
        {
            case 0: settings.Append("  helth-interval = 5s\n"); mutation += "+setting"; break;
            case 1: settings.Append("  stop-grace = ").Append(Hocon(HostileValue(rng), rng)).Append('\n'); mutation += "+setting"; break;
            case 2: settings.Append("  max-restarts = \"3\"\n"); break;
            case 3:
                string[] durations = ["99999999999999999999h", "100000h", "\"٣s\"", "NaN", "-1s", "1e3s", "\"\""];
                settings.Append("  stop-grace = ").Append(durations[rng.Next(durations.Length)]).Append('\n');
                mutation += "+setting";
                break;
        }
        var daemons = Hocon(specs, rng);
        var text = rng.Next(3) == 0
            ? $"actorsupervisor.daemons = {daemons}\nactorsupervisor {{\n{settings}}}\n"
            : $"# fuzzed\nactorsupervisor {{\n{settings}  daemons = {daemons}\n}}\n";
        switch (rng.Next(10))
        {
            case 0:
                return (text[..rng.Next(text.Length)], "truncated");
            case 1:
                var at = rng.Next(text.Length);
                return (text[..at] + Garbage(rng) + text[at..], "garbage");
            case 2:
                return (text + Garbage(rng), "trailing");
            case 3:
                return ((rng.Next(2) == 0 ? "include \"/etc/shadow\"\n" : "include file(\"/dev/zero\")\n") + text, "include");
            case 4:
                return (text.Replace("\"--port\"", "${PORT_FLAG}"), "substitution");
            case 5:
                return (text.Replace("health-interval", "health-interval = 1s\n  health-interval"), "duplicate-key");
            default:
                return (text, mutation);
        }
    }

    /// <summary>A JSON tree as HOCON, in one of the styles people write: quoted or not, kebab or snake, = or :.</summary>
    private static string Hocon(JsonNode? node, Random rng)
    {
        switch (node)
        {
            case null:
                return "null";
            case JsonArray array:
                var sep = rng.Next(2) == 0 ? ", " : "\n";
                return "[" + string.Join(sep, array.Select(n => Hocon(n, rng))) + "]";
            case JsonObject obj:
                var fields = obj.Select(kv =>
                {
                    var key = rng.Next(2) == 0 ? kv.Key.Replace('_', '-') : kv.Key;
                    var quotedKey = Regex.IsMatch(key, "^[A-Za-z0-9_-]+$") ? key : JsonSerializer.Serialize(key);
                    return $"{quotedKey} {(rng.Next(2) == 0 ? "=" : ":")} {Hocon(kv.Value, rng)}";
                });
                return "{ " + string.Join(rng.Next(2) == 0 ? ", " : "\n", fields) + " }";
            default:
                var value = (JsonValue)node;
                if (value.GetValueKind() != JsonValueKind.String) return value.ToJsonString();
                var text = value.GetValue<string>();
                var plain = Regex.IsMatch(text, "^[A-Za-z/][A-Za-z0-9_/.-]*$") && text is not ("true" or "false" or "null");
                return plain && rng.Next(2) == 0 ? text : JsonSerializer.Serialize(text);
        }
    }

    private static string Garbage(Random rng)
    {
        const string alphabet = "{}[]\",:=#$`\\\n\t\0 x9-.";
        var length = rng.Next(1, 8);
        var text = new StringBuilder();
        for (var i = 0; i < length; i++) text.Append(alphabet[rng.Next(alphabet.Length)]);
        return text.ToString();
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
