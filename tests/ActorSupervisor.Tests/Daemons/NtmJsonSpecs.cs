using System.Text.Json;
using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using ActorSupervisor.PidFiles;

namespace ActorSupervisor.Tests.Daemons;

public class NtmJsonSpecs
{
    [Fact]
    public void A_pid_file_written_by_NTM_reads_here()
    {
        // Exactly what NTM's json.Marshal of PIDFileInfo writes (Go time.Time: RFC 3339 with nanoseconds and an offset).
        const string ntm = """{"pid":4242,"port":8765,"owner_id":"myproj","command":"am","started_at":"2026-01-15T10:30:00.123456789-05:00"}""";
        var info = JsonSerializer.Deserialize<PidFileInfo>(ntm, PidFileStore.Json)!;
        Assert.Equal(4242, info.Pid);
        Assert.Equal(8765, info.Port);
        Assert.Equal("myproj", info.OwnerId);
        Assert.Equal("am", info.Command);
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 15, 30, 0, TimeSpan.Zero).AddTicks(1234567), info.StartedAt.ToUniversalTime());
        Assert.Null(info.Identity); // NTM records no start time: identity falls back to the command line
    }

    [Fact]
    public void A_spec_array_written_for_NTM_reads_here()
    {
        const string ntm = """
            [
              {"name":"cm","command":"cm","args":["serve"],"health_url":"http://127.0.0.1:8200/health","health_cmd":null,"port_flag":"--port","default_port":8200,"work_dir":"","env":null},
              {"name":"bd","command":"bd","args":["daemon","--start"],"health_url":"","health_cmd":["bd","daemon","--health"],"port_flag":"","default_port":0,"work_dir":"/tmp","env":["BD_X=1"]}
            ]
            """;
        var specs = SpecFile.ParseJson(ntm, "ntm.json");
        Assert.Equal(2, specs.Count);
        Assert.Equal("cm", specs[0].Name);
        Assert.Equal(["serve"], specs[0].Args);
        Assert.Equal(8200, specs[0].DefaultPort);
        Assert.Equal("--port", specs[0].PortFlag);
        Assert.Empty(specs[0].Env);
        Assert.Equal(["bd", "daemon", "--health"], specs[1].HealthCmd);
        Assert.Equal(["BD_X=1"], specs[1].Env);
        Assert.Equal("/tmp", specs[1].WorkDir);
    }

    [Fact]
    public void Our_pid_file_round_trips_and_keeps_NTMs_five_fields_under_NTMs_names()
    {
        var info = new PidFileInfo
        {
            Pid = 7, Port = 9000, OwnerId = "s1", Command = "cm", StartedAt = DateTimeOffset.UnixEpoch.AddDays(20000),
            Name = "cm", ProcessStartTime = 123456, ProcessGroup = 7, SupervisorPid = 1, SupervisorStartTime = 99, LogPath = "/x.log",
        };
        var json = JsonSerializer.Serialize(info, PidFileStore.Json);
        using var doc = JsonDocument.Parse(json);
        foreach (var field in new[] { "pid", "port", "owner_id", "command", "started_at" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), field);
        Assert.Equal(info, JsonSerializer.Deserialize<PidFileInfo>(json, PidFileStore.Json)! with { Args = info.Args });
    }

    [Fact]
    public void States_serialize_as_the_lower_case_words()
    {
        foreach (var state in Enum.GetValues<DaemonState>())
            Assert.Equal($"\"{state.ToWord()}\"", JsonSerializer.Serialize(state));
        Assert.Equal("\"restarting\"", JsonSerializer.Serialize(DaemonState.Restarting));
        Assert.Equal(DaemonState.Failed, JsonSerializer.Deserialize<DaemonState>("\"failed\""));
    }

    [Fact]
    public void A_spec_round_trips_through_json_with_NTMs_names()
    {
        var spec = DefaultSpecs.All(includeAgentMail: true)[2] with { Env = ["A=1"], WorkDir = "/tmp" };
        var json = JsonSerializer.Serialize(spec);
        foreach (var field in new[] { "name", "command", "args", "health_url", "health_cmd", "port_flag", "default_port", "work_dir", "env" })
            Assert.Contains($"\"{field}\"", json);
        var back = JsonSerializer.Deserialize<DaemonSpec>(json)!;
        Assert.Equal(spec.Args, back.Args);
        Assert.Equal(spec with { Args = back.Args, Env = back.Env, DependsOn = back.DependsOn }, back);
    }

    [Fact]
    public void The_default_specs_are_NTMs_with_upstreams_fixes_and_agent_mail_only_when_asked_for()
    {
        Assert.Equal(["cm", "bd"], DefaultSpecs.All().Select(s => s.Name));
        var specs = DefaultSpecs.All(includeAgentMail: true).ToDictionary(s => s.Name);
        Assert.Equal(["serve"], specs["cm"].Args);
        Assert.Equal(8200, specs["cm"].DefaultPort);
        // cm answers MCP JSON-RPC at its root and serves no GET /health: probed as upstream probes it.
        Assert.True(specs["cm"].HealthMcp);
        Assert.Null(specs["cm"].HealthUrl);
        Assert.True(specs["cm"].RequirePort);
        Assert.Equal(["daemon", "--start", "--foreground", "--auto-commit", "--interval", "5s"], specs["bd"].Args);
        Assert.Equal(["bd", "daemon", "--health"], specs["bd"].HealthCmd);
        Assert.Equal(0, specs["bd"].DefaultPort);
        Assert.Equal(["serve-http", "--host", "127.0.0.1", "--no-tui", "--no-auth"], specs["am"].Args);
        Assert.Equal(8765, specs["am"].DefaultPort);
        Assert.Equal("http://127.0.0.1:8765/health/liveness", specs["am"].HealthUrl);
        Assert.True(specs["am"].RequirePort);
        foreach (var spec in specs.Values) Assert.Empty(Validation.Problems(spec));
        // NTM upstream's name for refusing a fallback port is no_port_fallback; it is written for NTM's readers.
        Assert.Contains("\"no_port_fallback\": true", JsonSerializer.Serialize(specs["cm"], new JsonSerializerOptions { WriteIndented = true }));
    }

    [Fact]
    public void A_spec_file_that_is_not_json_is_refused_with_the_line_and_column()
    {
        var e = Assert.Throws<InvalidSpecException>(() => SpecFile.ParseJson("[\n  {\"name\": \"a\",\n    \"command\": }\n]", "bad.json"));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("line 3", e.Message);
        var typed = Assert.Throws<InvalidSpecException>(() => SpecFile.ParseJson("""[{"name":"a","command":"x","default_port":"high"}]""", "t.json"));
        Assert.Contains("[0].default_port", typed.Message);
    }

    [Fact]
    public void Status_snapshots_are_deep_copies()
    {
        var original = new ManagedDaemon { Spec = DefaultSpecs.All()[0] with { Args = ["serve"] } };
        var copy = original.DeepCopy();
        ((string[])copy.Spec.Args)[0] = "changed";
        Assert.Equal("serve", original.Spec.Args[0]);
    }
}
