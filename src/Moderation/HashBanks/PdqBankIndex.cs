using System.Runtime.InteropServices;
using AiSocial.SafetyModels.Pdq;
using Npgsql;

namespace AiSocial.Moderation.HashBanks;

/// <summary>A PDQ bank entry near a query hash; <paramref name="Query"/> is which of the hashes asked about was nearest.</summary>
internal sealed record PdqBankMatch(long EntryId, string Bank, string Reason, PdqHash Hash, int Distance, int Query = 0);

/// <summary>
/// Every PDQ bank entry in memory, in a <see cref="PdqIndex"/>. Loaded on first use; before each lookup one small
/// query (number of entries and sum of their ids) tells whether the table changed, and if so new entries are added
/// or, after a removal, everything is loaded again.
/// </summary>
internal sealed class PdqBankIndex(NpgsqlDataSource dataSource)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Loaded? _loaded;

    /// <summary>Entries within <paramref name="maxDistance"/> of <paramref name="hash"/>, nearest first.</summary>
    public Task<IReadOnlyList<PdqBankMatch>> FindAsync(PdqHash hash, int maxDistance, CancellationToken cancellationToken) =>
        FindAsync([hash], maxDistance, cancellationToken);

    /// <summary>
    /// Entries within <paramref name="maxDistance"/> of any of <paramref name="hashes"/> (such as an image's eight
    /// dihedral hashes), each once at its nearest, nearest first: one freshness check and one lookup of bank names.
    /// </summary>
    public async Task<IReadOnlyList<PdqBankMatch>> FindAsync(IReadOnlyList<PdqHash> hashes, int maxDistance, CancellationToken cancellationToken)
    {
        var index = await CurrentAsync(cancellationToken);
        var nearest = new Dictionary<long, (PdqMatch Match, int Query)>();
        for (var query = 0; query < hashes.Count; query++)
        {
            foreach (var match in index.Find(hashes[query], maxDistance))
            {
                if (!nearest.TryGetValue(match.Id, out var found) || match.Distance < found.Match.Distance)
                {
                    nearest[match.Id] = (match, query);
                }
            }
        }

        var matches = nearest.Values.OrderBy(m => m.Match.Distance).ThenBy(m => m.Match.Id).ToList();
        if (matches.Count == 0)
        {
            return [];
        }

        // Bank and reason are read for the few matches rather than kept in memory for every entry.
        await using var command = dataSource.CreateCommand("select id, bank, reason from moderation.pdq_bank_entries where id = any($1)");
        command.Parameters.Add(new() { Value = matches.Select(m => m.Match.Id).ToArray() });
        var entries = new Dictionary<long, (string Bank, string Reason)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                entries[reader.GetInt64(0)] = (reader.GetString(1), reader.GetString(2));
            }
        }

        // An entry removed since the index was loaded is no longer a match.
        return [.. matches.Where(m => entries.ContainsKey(m.Match.Id))
            .Select(m => new PdqBankMatch(m.Match.Id, entries[m.Match.Id].Bank, entries[m.Match.Id].Reason, m.Match.Hash, m.Match.Distance, m.Query))];
    }

    private async Task<PdqIndex> CurrentAsync(CancellationToken cancellationToken)
    {
        var state = await StateAsync(cancellationToken);
        if (_loaded is { } current && current.State == state)
        {
            return current.Index;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var loaded = _loaded;
            if (loaded is not null && loaded.State == state)
            {
                return loaded.Index;
            }

            if (loaded is not null)
            {
                // Entries only added since: add them to the index in place.
                var (hashes, ids) = await LoadAsync(loaded.State.MaxId, cancellationToken);
                var grown = loaded.State.With(ids);
                if (grown == state)
                {
                    loaded.Index.AddRange(CollectionsMarshal.AsSpan(hashes), CollectionsMarshal.AsSpan(ids));
                    _loaded = new Loaded(loaded.Index, grown);
                    return loaded.Index;
                }
            }

            // First use, a removal, or entries committed out of id order: load everything into a new index.
            var (allHashes, allIds) = await LoadAsync(0, cancellationToken);
            var index = new PdqIndex();
            index.AddRange(CollectionsMarshal.AsSpan(allHashes), CollectionsMarshal.AsSpan(allIds));
            _loaded = new Loaded(index, BankState.Empty.With(allIds));
            return index;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<BankState> StateAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select count(*), coalesce(sum(id), 0)::numeric, coalesce(max(id), 0) from moderation.pdq_bank_entries");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new BankState(reader.GetInt64(0), reader.GetDecimal(1), reader.GetInt64(2));
    }

    private async Task<(List<PdqHash> Hashes, List<long> Ids)> LoadAsync(long afterId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select id, pdq from moderation.pdq_bank_entries where id > $1");
        command.Parameters.Add(new() { Value = afterId });
        var (hashes, ids) = (new List<PdqHash>(), new List<long>());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
            hashes.Add(PdqHash.Parse(reader.GetString(1)));
        }

        return (hashes, ids);
    }

    private sealed record Loaded(PdqIndex Index, BankState State);

    /// <summary>What the table held: how many entries, the sum of their ids, the largest id.</summary>
    private sealed record BankState(long Count, decimal IdSum, long MaxId)
    {
        public static readonly BankState Empty = new(0, 0, 0);

        public BankState With(IReadOnlyList<long> ids)
        {
            var (sum, max) = (IdSum, MaxId);
            foreach (var id in ids)
            {
                (sum, max) = (sum + id, Math.Max(max, id));
            }

            return new BankState(Count + ids.Count, sum, max);
        }
    }
}
