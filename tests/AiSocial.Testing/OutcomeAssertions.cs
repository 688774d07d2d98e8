using AiSocial.Problems;
using Xunit.Sdk;

namespace AiSocial.Testing;

public static class OutcomeAssertions
{
    /// <summary>Asserts the operation was refused and returns the refusal, as <c>Assert.Throws</c> returns the exception.</summary>
    public static Refusal AssertRefused<T>(this Outcome<T> outcome) =>
        outcome.Refusal ?? throw new XunitException($"Expected a refusal; the operation gave {outcome.Value}.");

    public static async Task<Refusal> AssertRefusedAsync<T>(this Task<Outcome<T>> outcome) => (await outcome).AssertRefused();
}
