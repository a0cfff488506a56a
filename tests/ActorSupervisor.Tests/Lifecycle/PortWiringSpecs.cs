using ActorSupervisor.Daemons;
using ActorSupervisor.Lifecycle;

namespace ActorSupervisor.Tests.Lifecycle;

/// <summary>${NAME.port} and $$ in a spec's args, env and health command, as pure functions.</summary>
public sealed class PortWiringSpecs
{
    private static readonly DaemonSpec Plain = new() { Name = "api", Command = "/bin/api" };

    private static int? Ports(string name) => name switch { "db" => 5432, "cache" => 6379, "web.v2" => 8080, _ => null };

    [Fact]
    public void Port_references_are_found_in_args_env_and_the_health_command()
    {
        var spec = Plain with
        {
            Args = ["--db=${db.port}", "${cache.port}${cache.port}"],
            Env = ["WEB=${web.v2.port}", "PLAIN=1"],
            HealthCmd = ["probe", "${health_1.port}"],
        };
        Assert.Equal(new HashSet<string> { "db", "cache", "web.v2", "health_1" }, PortWiring.References(spec));
    }

    [Theory]
    [InlineData("$${db.port}")]          // $$ is a literal $: what follows is text
    [InlineData("${db.host}")]
    [InlineData("${db}")]
    [InlineData("$db.port")]
    [InlineData("${.port}")]
    [InlineData("${-db.port}")]
    [InlineData("${d b.port}")]
    [InlineData("{db.port}")]
    public void Anything_but_a_well_formed_reference_refers_to_nothing(string arg)
    {
        Assert.Empty(PortWiring.References(Plain with { Args = [arg] }));
    }

    [Fact]
    public void A_name_of_64_characters_is_a_reference_and_one_of_65_is_not()
    {
        var longest = new string('a', 64);
        Assert.Equal([longest], PortWiring.References(Plain with { Args = [$"${{{longest}.port}}"] }));
        Assert.Empty(PortWiring.References(Plain with { Args = [$"${{{longest}a.port}}"] }));
    }

    [Fact]
    public void A_spec_without_a_dollar_anywhere_has_nothing_to_expand_and_is_handed_back_as_is()
    {
        var spec = Plain with { Args = ["--port", "8080"], Env = ["A=b"], HealthCmd = ["true"] };
        Assert.False(PortWiring.HasTokens(spec));
        Assert.Same(spec, PortWiring.Expand(spec, _ => throw new InvalidOperationException("no port is asked for")));
    }

    [Theory]
    [InlineData(new[] { "a$b" }, new string[0], null)]
    [InlineData(new string[0], new[] { "A=$" }, null)]
    [InlineData(new string[0], new string[0], new[] { "$$" })]
    public void A_dollar_in_args_env_or_health_command_is_something_to_expand(string[] args, string[] env, string[]? healthCmd)
    {
        Assert.True(PortWiring.HasTokens(Plain with { Args = args, Env = env, HealthCmd = healthCmd }));
    }

    [Fact]
    public void Every_reference_becomes_the_port_and_double_dollars_become_one_everywhere()
    {
        var spec = Plain with
        {
            Args = ["--db", "${db.port}", "price=$$5", "${cache.port}:${db.port}", "$HOME", "${db.host}"],
            Env = ["DB_PORT=${db.port}", "WEB=${web.v2.port}", "LITERAL=$${db.port}"],
            HealthCmd = ["/bin/check", "127.0.0.1:${cache.port}"],
        };

        var expanded = PortWiring.Expand(spec, Ports);

        Assert.Equal(["--db", "5432", "price=$5", "6379:5432", "$HOME", "${db.host}"], expanded.Args);
        Assert.Equal(["DB_PORT=5432", "WEB=8080", "LITERAL=${db.port}"], expanded.Env);
        Assert.Equal(["/bin/check", "127.0.0.1:6379"], expanded.HealthCmd);
        Assert.Equal(spec.Name, expanded.Name);
        Assert.Equal(spec.Command, expanded.Command);
    }

    [Fact]
    public void A_spec_without_a_health_command_keeps_none()
    {
        var expanded = PortWiring.Expand(Plain with { Args = ["${db.port}"] }, Ports);
        Assert.Equal(["5432"], expanded.Args);
        Assert.Null(expanded.HealthCmd);
    }

    [Fact]
    public void A_daemon_without_a_port_is_wired_in_as_0()
    {
        var expanded = PortWiring.Expand(Plain with { Args = ["${unknown.port}"], Env = ["X=${zero.port}"] }, n => n == "zero" ? 0 : null);
        Assert.Equal(["0"], expanded.Args);
        Assert.Equal(["X=0"], expanded.Env);
    }
}
