using ActorSupervisor.Processes;
using ActorSupervisor.Tests.Support;

namespace ActorSupervisor.Tests.Processes;

/// <summary>
/// The spawn thread: Linux sends a parent-death signal when the thread that forked a child ends, so every ephemeral
/// spawn runs on one thread that lives as long as the process (and does not keep the process alive at exit).
/// </summary>
public sealed class SpawnThreadSpecs
{
    [Fact]
    public async Task Work_runs_on_one_named_background_thread_that_outlives_it()
    {
        static (int Id, string? Name, bool Background) Here() =>
            (Environment.CurrentManagedThreadId, Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground);

        var first = await SpawnThread.Run(Here).WaitAsync(Poll.Patience);
        var second = await SpawnThread.Run(Here).WaitAsync(Poll.Patience);

        Assert.Equal("actorsupervisor-spawn", first.Name);
        Assert.True(first.Background, "the spawn thread would keep the process alive at exit");
        Assert.Equal(first, second);
        Assert.NotEqual(Environment.CurrentManagedThreadId, first.Id);
    }

    [Fact]
    public async Task The_work_s_result_comes_back()
    {
        Assert.Equal(42, await SpawnThread.Run(() => 6 * 7).WaitAsync(Poll.Patience));
    }

    [Fact]
    public async Task An_exception_thrown_by_the_work_comes_back_to_the_caller_and_the_thread_carries_on()
    {
        var failed = SpawnThread.Run<int>(() => throw new InvalidOperationException("spawn failed"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Poll.Patience));
        Assert.Equal("spawn failed", e.Message);
        Assert.Equal(1, await SpawnThread.Run(() => 1).WaitAsync(Poll.Patience));
    }
}
