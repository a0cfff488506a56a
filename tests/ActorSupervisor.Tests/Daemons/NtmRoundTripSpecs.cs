using System.Text.Json;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>
/// What NTM's Go encoder writes reads here, and what we write carries no helper properties: Go's zero time is "unset",
/// null lists are empty lists everywhere (JSON, HOCON, the library API).
/// </summary>
public class NtmRoundTripSpecs
{
    [Fact]
    public void Gos_zero_time_reads_as_unset_in_a_snapshot()
    {
        // json.Marshal of NTM's ManagedDaemon for a daemon that never started or was never probed.
        const string ntm = """
            {"spec":{"name":"cm","command":"cm","args":null,"health_url":"","health_cmd":null,"health_mcp":false,"port_flag":"",
             "default_port":0,"no_port_fallback":false,"work_dir":"","env":null},
             "state":"stopped","pid":0,"port":0,"started_at":"0001-01-01T00:00:00Z","last_health":"0001-01-01T00:00:00Z",
             "restarts":0,"owner_id":"s1"}
            """;
        var daemon = JsonSerializer.Deserialize<ManagedDaemon>(ntm)!;
        Assert.Null(daemon.StartedAt);
        Assert.Null(daemon.LastHealth);
        Assert.Empty(daemon.Spec.Args);
        Assert.Empty(daemon.Spec.Env);
        Assert.Null(daemon.Spec.HealthCmd);
        Assert.Equal("cm", daemon.Name);
        var real = JsonSerializer.Deserialize<ManagedDaemon>(ntm.Replace("\"started_at\":\"0001-01-01T00:00:00Z\"", "\"started_at\":\"2026-01-15T10:30:00.123456789-05:00\""))!;
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 15, 30, 0, TimeSpan.Zero).AddTicks(1234567), real.StartedAt!.Value.ToUniversalTime());
    }

    [Fact]
    public void Helper_properties_do_not_leak_into_snapshot_json()
    {
        var daemon = new ManagedDaemon { Spec = new DaemonSpec { Name = "web", Command = "/bin/true", NeedsPort = true, HealthUrl = "/h" } };
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(daemon));
        Assert.False(json.RootElement.TryGetProperty("Name", out _));
        Assert.False(json.RootElement.TryGetProperty("name", out _));
        var spec = json.RootElement.GetProperty("spec");
        foreach (var helper in new[] { "WantsPort", "HasHealthCheck", "wants_port", "has_health_check" })
            Assert.False(spec.TryGetProperty(helper, out _), helper);
        // Every key of a written spec is one a spec file accepts.
        foreach (var property in spec.EnumerateObject()) Assert.True(SpecFields.IsKnown(property.Name), property.Name);
        // And a snapshot round-trips.
        var back = JsonSerializer.Deserialize<ManagedDaemon>(JsonSerializer.Serialize(daemon))!;
        Assert.Equal(daemon.Spec.Name, back.Spec.Name);
        Assert.Null(back.StartedAt);
    }

    [Fact]
    public void Null_lists_given_through_the_library_api_are_empty_everywhere()
    {
        var spec = new DaemonSpec { Name = "web", Command = "/bin/true", Args = null!, Env = null!, HealthCmd = null };
        Assert.Empty(spec.Args);
        Assert.Empty(spec.Env);
        Assert.Empty(Validation.Problems(spec));
        Assert.Equal(["/bin/true"], spec.Argv(0));
        Assert.Empty(spec.DeepCopy().Args);
        Assert.False(spec.HasHealthCheck);
        var copy = spec with { Args = null!, Name = null! };
        Assert.Empty(copy.Args);
        Assert.Equal("name", Assert.Single(Validation.Problems(copy)).Field);
        Assert.Empty(new ManagedDaemon { Spec = spec }.DeepCopy().Spec.Env);
    }

    [Fact]
    public void Null_lists_in_HOCON_are_empty()
    {
        var spec = Assert.Single(SpecFile.ParseHocon(
            "actorsupervisor.daemons = [ { name = web, command = /bin/true, args = null, env = null, health-cmd = null } ]", "n.conf").Specs);
        Assert.Empty(spec.Args);
        Assert.Empty(spec.Env);
        Assert.Null(spec.HealthCmd);
    }

    [Fact]
    public void An_undefined_lifetime_given_through_the_library_api_is_refused()
    {
        var problem = Assert.Single(Validation.Problems(new DaemonSpec { Name = "web", Command = "/bin/true", Lifetime = (DaemonLifetime)7 }));
        Assert.Equal("lifetime", problem.Field);
    }

    [Fact]
    public void A_directory_given_as_the_command_is_said_to_be_a_directory()
    {
        var dir = Directory.CreateTempSubdirectory("actorsupervisor-cmd-").FullName;
        try
        {
            var e = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve(dir, "/", null));
            Assert.Contains("is a directory", e.Message);
            Assert.DoesNotContain("not found", e.Message);
            var relative = Assert.Throws<DaemonLaunchException>(() => CommandPath.Resolve("./" + Path.GetFileName(dir), Path.GetTempPath(), null));
            Assert.Contains("is a directory", relative.Message);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
