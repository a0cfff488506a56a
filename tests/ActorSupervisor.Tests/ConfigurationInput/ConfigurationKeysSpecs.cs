using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.Hosting;
using Microsoft.Extensions.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>
/// IConfiguration's keys as they come: at the root as well as in a section, daemon fields in every case an
/// environment variable or appsettings.json may use, and a daemons section that is not a list.
/// </summary>
public sealed class ConfigurationKeysSpecs
{
    private static IConfigurationRoot Root(string prefix, params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(prefix + v.Key, v.Value)))
            .Build();

    [Fact]
    public void Settings_at_the_root_of_a_configuration_are_named_without_a_prefix()
    {
        var problems = ConfigurationReader.Read(Root("", ("colour", "blue")), new SupervisorOptions());
        Assert.Equal(["colour"], problems.Select(p => p.Field));
    }

    [Fact]
    public void Daemon_fields_are_read_in_kebab_snake_pascal_and_environment_variable_case()
    {
        var o = SupervisorOptions.FromConfiguration(Root("S:",
            ("daemons:0:NAME", "a"), ("daemons:0:COMMAND", "/bin/a"), ("daemons:0:HEALTH_URL", "/health"), ("daemons:0:Port-Flag", "--port"),
            ("daemons:0:Stop_Grace", "3s"), ("daemons:0:NeedsPort", "true"),
            ("daemons:1:name", "b"), ("daemons:1:command", "/bin/b"), ("daemons:1:depends-on:a", "started")).GetSection("S"));
        var a = o.Daemons[0];
        Assert.Equal(("a", "/bin/a", "/health", "--port", TimeSpan.FromSeconds(3), true), (a.Name, a.Command, a.HealthUrl, a.PortFlag, a.StopGrace, a.NeedsPort));
        Assert.Equal("a", Assert.Single(o.Daemons[1].DependsOn).Key);
    }

    [Fact]
    public void A_daemons_section_with_named_children_is_refused_as_not_a_list()
    {
        var e = Assert.Throws<InvalidSpecException>(() => SupervisorOptions.FromConfiguration(Root("S:",
            ("daemons:0:name", "a"), ("daemons:0:command", "/bin/a"), ("daemons:web:name", "b")).GetSection("S")));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(("S:daemons", "must be a list of daemon specs: [ { name = ..., command = ... }, ... ]"), (problem.Field, problem.Problem));
    }
}
