using ActorSupervisor.Processes;

namespace ActorSupervisor.Tests.Processes;

/// <summary>A file under the state dir may be forged huge: a read stops at its cap and says whether there was more.</summary>
public sealed class SafeFileReadSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actorsupervisor-saferead-").FullName;
    private string At(string name) => Path.Combine(_dir, name);

    // Sizes around the cap and around the 64 KiB first buffer and its doublings.
    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(5, 0, true)]
    [InlineData(3, 1, true)]
    [InlineData(1, 1, false)]
    [InlineData(4096, 4096, false)]
    [InlineData(4097, 4096, true)]
    [InlineData(1_000_000, 4096, true)]
    [InlineData(100_000, 100_000, false)]
    [InlineData(100_000, 1_000_000, false)]
    [InlineData(131_072, 131_072, false)]
    [InlineData(200_000, 131_072, true)]
    public void A_read_returns_the_first_bytes_up_to_the_cap_and_says_whether_the_file_held_more(int size, int cap, bool more)
    {
        var content = Pattern(size);
        File.WriteAllBytes(At("web.pid"), content);

        var bytes = SafeFile.Read(At("web.pid"), cap, out var tooBig);

        Assert.Equal(content.AsSpan(0, Math.Min(size, cap)).ToArray(), bytes);
        Assert.Equal(more, tooBig);
    }

    [Fact]
    public void A_read_allocates_for_what_the_file_holds_not_for_its_cap()
    {
        File.WriteAllBytes(At("web.log"), Pattern(100_000));
        const int cap = 64 << 20;
        SafeFile.Read(At("web.log"), cap, out _); // compiled and warmed

        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = SafeFile.Read(At("web.log"), cap, out var tooBig);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(100_000, bytes!.Length);
        Assert.False(tooBig);
        // Buffers of 64 and 128 KiB and the 100 kB result; a buffer the size of the cap would be 64 MiB.
        Assert.InRange(allocated, 0, 4 << 20);
    }

    private static byte[] Pattern(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++) bytes[i] = (byte)(i * 31 % 251);
        return bytes;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
