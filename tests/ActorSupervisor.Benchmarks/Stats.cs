namespace ActorSupervisor.Benchmarks;

/// <summary>Order statistics of a sample of milliseconds (nearest-rank percentiles).</summary>
internal sealed record Stats(int Count, double Min, double Median, double P90, double Max, double Mean)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = values.OrderBy(v => v).ToArray();
        return new Stats(sorted.Length, sorted[0], Percentile(sorted, 50), Percentile(sorted, 90), sorted[^1], sorted.Average());
    }

    /// <summary>The median of an even sample is the mean of the two middle values; other percentiles are nearest-rank.</summary>
    private static double Percentile(double[] sorted, int p)
    {
        if (p == 50 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
