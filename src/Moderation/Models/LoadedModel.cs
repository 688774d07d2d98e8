namespace AiSocial.Moderation.Models;

/// <summary>
/// A model loaded on first use and then shared. A failed load is not remembered: the next use tries again (the
/// models may have been prepared since), and until then every use throws <see cref="ModelUnavailableException"/>,
/// which a check reports as unavailable.
/// </summary>
public sealed class LoadedModel<T>(Func<T> load)
    where T : class
{
    private readonly Lock _gate = new();
    private T? _value;

    public bool IsLoaded => Volatile.Read(ref _value) is not null;

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
                Volatile.Write(ref _value, load());
            }
            catch (Exception exception) when (exception is not ModelUnavailableException)
            {
                throw new ModelUnavailableException($"{typeof(T).Name} could not be loaded: {exception.Message}", exception);
            }

            return _value!;
        }
    }
}
