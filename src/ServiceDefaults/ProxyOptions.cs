using System.ComponentModel.DataAnnotations;
using System.Net;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Which reverse proxies a host believes about the client (<c>X-Forwarded-For</c>) and about TLS
/// (<c>X-Forwarded-Proto</c>, which makes cookies Secure). Loopback is always trusted; name others here.
/// </summary>
internal sealed record ProxyOptions : IValidatableObject
{
    public const string Section = "Proxy";

    /// <summary>Networks in CIDR form, e.g. <c>10.0.0.0/8</c>, whose forwarded headers are believed.</summary>
    public string[] KnownNetworks { get; init; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        KnownNetworks.Where(network => !IPNetwork.TryParse(network, out _))
            .Select(network => new ValidationResult($"Proxy:KnownNetworks has '{network}', which is not a network like 10.0.0.0/8.", [nameof(KnownNetworks)]));
}
