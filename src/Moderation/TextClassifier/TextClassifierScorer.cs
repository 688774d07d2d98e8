using System.Security.Cryptography;
using AiSocial.SafetyModels;
using Microsoft.Extensions.Options;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>A version's score for one text.</summary>
internal sealed record TextClassifierScore(long Version, TextModelStatus Status, float Probability)
{
    public string Label => $"v{Version}";
}

/// <summary>
/// Scores text with every version in service (active and shadow). Asks the registry which versions those are on each
/// call (one small indexed query), and keeps one ONNX Runtime session per version, loaded from the registry on first
/// use and checked against its SHA-256; sessions of versions taken out of service are dropped.
/// </summary>
internal sealed class TextClassifierScorer(TextModelRegistry registry, IOptions<ModelOptions> options) : IDisposable
{
    private readonly Dictionary<long, TextClassifierModel> _loaded = [];
    // Scoring holds the read lock; dropping a session waits for scorers to finish with it.
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>Scores of the versions in service, active first; empty when there is none.</summary>
    public async Task<IReadOnlyList<TextClassifierScore>> ScoreAsync(string text, CancellationToken cancellationToken)
    {
        var inService = await registry.InServiceAsync(cancellationToken);
        await EnsureLoadedAsync(inService, cancellationToken);
        var prepared = TextClassifierText.Prepare(text);
        var scores = new List<TextClassifierScore>(inService.Count);
        _lock.EnterReadLock();
        try
        {
            foreach (var (version, status, _) in inService.OrderBy(v => v.Status == TextModelStatus.Active ? 0 : 1))
            {
                // A version dropped by a concurrent call after our query is skipped; the next call sees the new state.
                if (_loaded.TryGetValue(version, out var model))
                {
                    scores.Add(new TextClassifierScore(version, status, model.ScorePrepared(prepared)));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return scores;
    }

    /// <summary>Versions with a session loaded (for tests and diagnostics).</summary>
    public IReadOnlyList<long> LoadedVersions()
    {
        _lock.EnterReadLock();
        try
        {
            return [.. _loaded.Keys.Order()];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private async Task EnsureLoadedAsync(IReadOnlyList<(long Version, TextModelStatus Status, string OnnxSha256)> inService,
        CancellationToken cancellationToken)
    {
        bool Current()
        {
            _lock.EnterReadLock();
            try
            {
                return _loaded.Count == inService.Count && inService.All(v => _loaded.ContainsKey(v.Version));
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }

        if (Current())
        {
            return;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            var added = new Dictionary<long, TextClassifierModel>();
            try
            {
                foreach (var (version, _, sha256) in inService)
                {
                    if (!IsLoaded(version))
                    {
                        added[version] = await LoadAsync(version, sha256, cancellationToken);
                    }
                }
            }
            catch
            {
                foreach (var model in added.Values)
                {
                    model.Dispose();
                }

                throw;
            }

            List<TextClassifierModel> dropped;
            _lock.EnterWriteLock();
            try
            {
                foreach (var (version, model) in added)
                {
                    _loaded[version] = model;
                }

                var keep = inService.Select(v => v.Version).ToHashSet();
                dropped = [.. _loaded.Where(e => !keep.Contains(e.Key)).Select(e => e.Value)];
                foreach (var version in _loaded.Keys.Where(v => !keep.Contains(v)).ToList())
                {
                    _loaded.Remove(version);
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            dropped.ForEach(model => model.Dispose());
        }
        finally
        {
            _loading.Release();
        }
    }

    private bool IsLoaded(long version)
    {
        _lock.EnterReadLock();
        try
        {
            return _loaded.ContainsKey(version);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private async Task<TextClassifierModel> LoadAsync(long version, string sha256, CancellationToken cancellationToken)
    {
        var onnx = await registry.ReadOnnxAsync(version, cancellationToken);
        if (Convert.ToHexStringLower(SHA256.HashData(onnx)) != sha256)
        {
            throw new ModelUnavailableException($"Text classifier v{version}'s ONNX model does not match its SHA-256 in the registry.");
        }

        return TextClassifierModel.Load(onnx, options.Value.IntraOpThreads);
    }

    public void Dispose()
    {
        foreach (var model in _loaded.Values)
        {
            model.Dispose();
        }

        _loaded.Clear();
        _lock.Dispose();
        _loading.Dispose();
    }
}
