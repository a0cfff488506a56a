using System.Text;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// Reading a spec file: each way a file can be unfit is refused with its own words, naming the file, and the size cap
/// and the UTF-8 check hold to the byte.
/// </summary>
public sealed class SpecFileReadSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-specread-").FullName;

    private static SpecProblem RefusedOnce(string path)
    {
        var e = Assert.Throws<InvalidSpecException>(() => SpecFile.Load(path));
        Assert.Equal($"Spec file {path}", e.Subject);
        var problem = Assert.Single(e.Problems);
        Assert.Equal("file", problem.Field);
        return problem;
    }

    [Fact]
    public void A_directory_is_refused_as_not_a_spec_file() =>
        Assert.Equal("is a directory, not a spec file", RefusedOnce(_dir).Problem);

    [Fact]
    public void A_missing_file_or_one_in_a_missing_directory_is_refused_as_not_existing()
    {
        Assert.Equal("does not exist", RefusedOnce(Path.Combine(_dir, "none.json")).Problem);
        Assert.Equal("does not exist", RefusedOnce(Path.Combine(_dir, "no-dir", "none.json")).Problem);
    }

    [Fact]
    public void An_empty_name_or_one_with_a_NUL_is_refused_as_not_a_file_name()
    {
        var e = Assert.Throws<InvalidSpecException>(() => SpecFile.Load(""));
        Assert.Equal(new SpecProblem("file", "", "is not a valid file name"), Assert.Single(e.Problems));
        var nul = Path.Combine(_dir, "a\0b.json");
        Assert.Equal("is not a valid file name", Assert.Single(Assert.Throws<InvalidSpecException>(() => SpecFile.Load(nul)).Problems).Problem);
    }

    [Fact]
    public void A_file_of_exactly_the_cap_is_read_and_one_byte_more_is_refused()
    {
        var path = Path.Combine(_dir, "big.json");
        var spec = """[{"name": "web", "command": "/bin/true"}]""";
        File.WriteAllText(path, spec + new string(' ', SpecFile.MaxBytes - spec.Length));
        Assert.Equal(SpecFile.MaxBytes, new FileInfo(path).Length);
        Assert.Equal("web", Assert.Single(SpecFile.Load(path).Specs).Name);
        File.AppendAllText(path, " ");
        Assert.Equal("is larger than 4 MiB, which no spec file needs", RefusedOnce(path).Problem);
    }

    [Fact]
    public void A_byte_that_is_not_UTF8_is_refused_naming_its_offset()
    {
        var path = Path.Combine(_dir, "latin1.json");
        File.WriteAllBytes(path, [.. "[{\"name\": \"caf"u8, 0xe9, .. "\"}]"u8]);
        Assert.Equal("is not UTF-8 text (a byte that is not UTF-8 near offset 14)", RefusedOnce(path).Problem);
        File.WriteAllBytes(path, [0xff, .. "[]"u8]);
        Assert.Equal("is not UTF-8 text (a byte that is not UTF-8 near offset 0)", RefusedOnce(path).Problem);
    }

    [Fact]
    public void A_JSON_syntax_error_names_its_line_and_column_counted_from_one()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "[\n  {\"name\": \"web\",, }\n]");
        var problem = RefusedOnce(path).Problem;
        Assert.StartsWith("is not valid JSON: ", problem);
        Assert.EndsWith("(line 2, column 18)", problem);
        Assert.DoesNotContain("LineNumber", problem);
        Assert.DoesNotMatch(SpecFileSpecs.DotNetText(), problem);
    }

    [Fact]
    public void A_file_nested_deeper_than_the_limit_is_refused_saying_so()
    {
        var path = Path.Combine(_dir, "deep.json");
        File.WriteAllText(path, new string('[', 100) + new string(']', 100));
        Assert.StartsWith("is nested more than 64 levels deep", RefusedOnce(path).Problem);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
