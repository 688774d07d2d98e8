namespace AiSocial.SafetyModels;

/// <summary>
/// A model loaded on first use and then shared. A failed load is not remembered: the next use tries again (the
/// models may have been prepared since), and until then every use throws <see cref="ModelUnavailableException"/>,
/// which a check reports as unavailable.
/// </summary>
public sealed class LoadedModel<T> : IDisposable
    where T : class, IDisposable
{
    private readonly Func<T> _load;
    private readonly bool _owns;
    private readonly Lock _gate = new();
    private T? _value;

    /// <summary>A model this object loads, owns and disposes.</summary>
    public LoadedModel(Func<T> load)
        : this(load, owns: true)
    {
    }

    private LoadedModel(Func<T> load, bool owns)
    {
        _load = load;
        _owns = owns;
    }

    /// <summary>A model that is already loaded and stays with its owner (tests, the benchmark).</summary>
    public static LoadedModel<T> Of(T model) => new(() => model, owns: false);

    public T Get()
    {
        if (Volatile.Read(ref _value) is { } value)
        {
            return value;
        }

        lock (_gate)
        {
            if (_value is not null)
            {
                return _value;
            }

            try
            {
                Volatile.Write(ref _value, _load());
            }
            catch (Exception exception) when (exception is not ModelUnavailableException)
            {
                throw new ModelUnavailableException($"{typeof(T).Name} cannot be loaded: {exception.Message}", exception);
            }

            return _value!;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_owns)
            {
                _value?.Dispose();
            }

            _value = null;
        }
    }
}
