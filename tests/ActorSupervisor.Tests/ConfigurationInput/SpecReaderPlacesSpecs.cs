using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>
/// Where a spec reader's problem is placed and how the place is spelled: the list itself, an entry that is not an
/// object (with an example in the file's own syntax), a key given in both spellings, and problems found across
/// entries (dependencies, port references) named by the key as the file wrote it.
/// </summary>
public sealed class SpecReaderPlacesSpecs
{
    private static IReadOnlyList<SpecProblem> HoconProblems(string hocon) =>
        Assert.Throws<InvalidSpecException>(() => SpecFile.ParseHocon(hocon, "specs.conf")).Problems;

    private static IReadOnlyList<SpecProblem> JsonProblems(string json) =>
        Assert.Throws<InvalidSpecException>(() => SpecFile.ParseJson(json, "specs.json")).Problems;

    [Fact]
    public void A_daemon_list_that_is_not_a_list_is_refused_at_its_own_place()
    {
        Assert.Equal(
            [new SpecProblem("actorsupervisor.daemons", "web", "must be a list of daemon specs: [ { name = ..., command = ... }, ... ]")],
            HoconProblems("actorsupervisor.daemons = web"));
        Assert.Equal(
            [new SpecProblem("file", "null", "must be a JSON array of daemon specs: [ { \"name\": ..., \"command\": ... }, ... ]")],
            JsonProblems("null"));
    }

    [Fact]
    public void An_entry_that_is_not_an_object_is_refused_with_an_example_in_the_file_s_own_syntax()
    {
        Assert.Equal(
            [new SpecProblem("actorsupervisor.daemons[0]", "web", "must be a daemon spec: an object such as { name = web, command = /usr/bin/web }")],
            HoconProblems("actorsupervisor.daemons = [ web ]"));
        Assert.Equal(
            [new SpecProblem("[0]", "web", "must be a daemon spec: an object such as { \"name\": \"web\", \"command\": \"/usr/bin/web\" }")],
            JsonProblems("""[ "web" ]"""));
    }

    [Fact]
    public void A_field_given_in_both_spellings_is_refused_once_naming_the_first_and_the_second_is_not_read()
    {
        Assert.Equal(
            [new SpecProblem("actorsupervisor.daemons[0].needs_port", null, "is given twice (also as 'needs-port')")],
            HoconProblems("actorsupervisor.daemons = [ { name = a, command = /bin/true, needs-port = true, needs_port = maybe } ]"));
    }

    [Fact]
    public void A_dependency_on_no_daemon_is_named_by_the_key_as_written_in_each_entry()
    {
        var problems = HoconProblems("""
            actorsupervisor.daemons = [
              { name = a, command = /bin/true, depends-on { zzz = started } }
              { name = b, command = /bin/true, depends-on { yyy = healthy } }
              { name = c, command = /bin/true, depends_on { a = started } }
            ]
            """);
        Assert.Equal(["actorsupervisor.daemons[0].depends-on.zzz", "actorsupervisor.daemons[1].depends-on.yyy"], problems.Select(p => p.Field));
        Assert.Equal(["zzz", "yyy"], problems.Select(p => p.Value));
    }

    [Fact]
    public void A_port_reference_to_no_daemon_is_refused_at_its_entry()
    {
        var problem = Assert.Single(HoconProblems("""actorsupervisor.daemons = [ { name = a, command = /bin/true, args = ["--to", "${zzz.port}"] } ]"""));
        Assert.Equal(("actorsupervisor.daemons[0]", "${zzz.port}"), (problem.Field, problem.Value));
        Assert.StartsWith("refers to no daemon in this file", problem.Problem);
    }
}
