using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;

namespace ActorSupervisor.Tests.Daemons;

/// <summary>Settings in a spec file are input like any other: a value too long for a timer, or not a number, is refused.</summary>
public class SettingsSpecs
{
    [Theory]
    [InlineData("99999999999999999999h")] // too long for a TimeSpan: TryParse used to throw
    [InlineData("٣s")] // an Arabic-Indic digit: a Unicode \d that double.Parse refuses
    [InlineData("1e3s")]
    [InlineData("5x")]
    [InlineData("-1s")]
    [InlineData("")]
    public void Text_that_is_no_duration_is_refused_by_TryParse_without_throwing(string text)
    {
        Assert.False(Duration.TryParse(text, out _));
    }

    [Fact]
    public void Durations_people_write_parse()
    {
        Assert.True(Duration.TryParse("250ms", out var ms) && ms == TimeSpan.FromMilliseconds(250));
        Assert.True(Duration.TryParse(" 1.5s ", out var s) && s == TimeSpan.FromSeconds(1.5));
        Assert.True(Duration.TryParse("24h", out var h) && h == Duration.Longest);
    }

    [Theory]
    [InlineData("stop-grace = 99999999999999999999h")]
    [InlineData("stop-grace = 100000h")]
    [InlineData("health-interval = \"٣s\"")]
    [InlineData("max-restarts = 99999999999999")]
    [InlineData("backoff-jitter = NaN")]
    public void A_setting_out_of_range_in_a_spec_file_is_refused_naming_it(string setting)
    {
        var contents = SpecFile.ParseHocon($"actorsupervisor {{ {setting}\n daemons = [ {{ name = a, command = /bin/true }} ] }}", "s.conf");
        var key = setting.Split(' ')[0];
        var e = Assert.Throws<InvalidSpecException>(() => SupervisorSettings.Apply(new SupervisorConfig(), contents.Settings));
        Assert.Equal($"actorsupervisor.{key}", Assert.Single(e.Problems).Field);
    }

    [Fact]
    public void A_config_duration_beyond_a_day_is_refused_before_any_timer_sees_it()
    {
        var problems = Validation.Problems(new SupervisorConfig
        {
            SessionId = "s", ProjectDir = Path.GetTempPath(), StopGrace = TimeSpan.FromDays(60), HealthInterval = TimeSpan.FromHours(24),
        });
        Assert.Equal("StopGrace", Assert.Single(problems).Field);
    }
}
