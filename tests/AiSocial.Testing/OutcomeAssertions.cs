using AiSocial.Problems;
using Xunit.Sdk;

namespace AiSocial.Testing;

public static class OutcomeAssertions
{
    /// <summary>Asserts the operation was refused and returns the refusal, as <c>Assert.Throws</c> returns the exception.</summary>
    public static Refusal AssertRefused<T>(this Outcome<T> outcome) =>
        outcome.Refusal ?? throw new XunitException($"Expected a refusal; the operation gave {outcome.Value}.");

    public static async Task<Refusal> AssertRefusedAsync<T>(this Task<Outcome<T>> outcome) => (await outcome).AssertRefused();

    /// <summary>Asserts the operation succeeded (naming the refusal when it did not) and returns its value.</summary>
    public static async Task<T> AssertSucceededAsync<T>(this Task<Outcome<T>> outcome)
    {
        var done = await outcome;
        return done.Refusal is { } refusal ? throw new XunitException($"Expected success; refused: {refusal.Detail}") : done.Value;
    }
}
