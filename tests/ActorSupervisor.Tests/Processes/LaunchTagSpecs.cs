using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>A launch tag is read from any process's environment, where anything may be written: only a well-formed one counts.</summary>
public sealed class LaunchTagSpecs
{
    private static readonly LaunchTag Sample = LaunchTag.New("/var/state", "session1", "web") with { Supervisor = new ProcessIdentity(4321, 987654) };

    [Fact]
    public void A_tag_reads_back_as_it_was_formatted()
    {
        Assert.Equal(Sample, LaunchTag.Parse(Sample.Format()));
    }

    [Fact]
    public void A_tag_naming_supervisor_pid_1_is_well_formed()
    {
        var tag = Sample with { Supervisor = new ProcessIdentity(1, 5) };
        Assert.Equal(tag, LaunchTag.Parse(tag.Format()));
    }

    [Fact]
    public void A_tag_naming_supervisor_pid_0_is_malformed()
    {
        Assert.Null(LaunchTag.Parse((Sample with { Supervisor = new ProcessIdentity(0, 5) }).Format()));
    }

    [Fact]
    public void A_tag_whose_supervisor_pid_is_not_a_number_is_malformed()
    {
        Assert.Null(LaunchTag.Parse(Sample.Format().Replace(" 4321 ", " -4321 ", StringComparison.Ordinal)));
        Assert.Null(LaunchTag.Parse(Sample.Format().Replace(" 4321 ", " 99999999999 ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("v2 0123456789abcdef0123456789abcdef 4321 987654 session1 web /var/state")]
    [InlineData("v1 0123456789abcdef0123456789ABCDEF 4321 987654 session1 web /var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcdeg 4321 987654 session1 web /var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcde 4321 987654 session1 web /var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcdef 4321 987654 a/b web /var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcdef 4321 987654 session1 a/b /var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcdef 4321 987654 session1 web var/state")]
    [InlineData("v1 0123456789abcdef0123456789abcdef 4321 987654 session1 web")]
    public void A_tag_malformed_in_any_one_field_is_refused(string value)
    {
        Assert.NotNull(LaunchTag.Parse("v1 0123456789abcdef0123456789abcdef 4321 987654 session1 web /var/state"));
        Assert.Null(LaunchTag.Parse(value));
    }
}
