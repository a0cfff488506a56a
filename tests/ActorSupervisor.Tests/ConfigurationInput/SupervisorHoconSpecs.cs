using ActorSupervisor.Configuration;
using ActorSupervisor.Daemons;
using Akka.Configuration;

namespace ActorSupervisor.Tests.ConfigurationInput;

/// <summary>The library's own HOCON: what an owned ActorSystem gets, a missing resource, and a bad setting's subject.</summary>
public sealed class SupervisorHoconSpecs
{
    [Fact]
    public void An_owned_actor_system_gets_the_timer_queue_scheduler_and_the_defaults()
    {
        Assert.Equal("ActorSupervisor.Scheduling.TimerQueueScheduler, ActorSupervisor", SupervisorHocon.OwnedSystem.GetString("akka.scheduler.implementation"));
        Assert.Equal("5s", SupervisorHocon.OwnedSystem.GetString("actorsupervisor.health-interval"));
    }

    [Fact]
    public void A_resource_that_is_not_embedded_is_named_when_missing()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SupervisorHocon.Embedded(typeof(SupervisorHocon).Assembly, "nothing.conf"));
        Assert.Equal("embedded nothing.conf is missing", e.Message);
    }

    [Fact]
    public void A_bad_setting_in_an_application_s_HOCON_is_refused_as_the_HOCON_config_s()
    {
        var e = Assert.Throws<InvalidSpecException>(() => SupervisorSettings.Apply(new SupervisorConfig(), ConfigurationFactory.ParseString("actorsupervisor.log-keep = many")));
        Assert.Equal("HOCON config", e.Subject);
        Assert.Equal(new SpecProblem("actorsupervisor.log-keep", "many", "must be a non-negative number"), Assert.Single(e.Problems));
    }
}
