namespace ActorSupervisor.Configuration;

/// <summary>"Did you mean ...?" for a key that is not known: the nearest known key by edit distance.</summary>
internal static class Spelling
{
    /// <summary>
    /// The known key nearest to <paramref name="key"/>, if it is near enough to be a typo of it: at most one edit per
    /// three characters (so `helth_url` finds `health_url`, while `colour` finds nothing in a list of unrelated keys).
    /// Case is ignored, so `Name` finds `name`.
    /// </summary>
    public static string? Nearest(string key, IEnumerable<string> known)
    {
        if (key.Length > 200) return null; // a key that long is no typo, and the distance is quadratic
        var lower = key.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(lower, candidate.ToLowerInvariant());
            if (distance < bestDistance || distance == bestDistance && string.CompareOrdinal(candidate, best) < 0)
                (best, bestDistance) = (candidate, distance);
        }
        return best is not null && bestDistance <= Math.Max(1, Math.Max(key.Length, best.Length) / 3) ? best : null;
    }

    /// <summary>Levenshtein distance with transpositions of neighbours (optimal string alignment).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }

    /// <summary>The words after a refused key: a suggestion when there is one, else the keys there are.</summary>
    public static string Advice(string key, IReadOnlyCollection<string> known, Func<string, string>? spell = null)
    {
        spell ??= k => k;
        return Nearest(key, known) is { } near
            ? $"did you mean '{spell(near)}'?"
            : $"known keys: {string.Join(", ", known.Select(spell))}";
    }
}
