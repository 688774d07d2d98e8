using System.Text.Json.Serialization;

namespace AiSocial.Moderation.ContentSafety;

// The request and response bodies of the REST API, as ../shared/specs/content-safety.md gives them. Categories are
// strings (never an enum) so names the service adds later pass through.

internal sealed record AnalyzeTextRequest(
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? BlocklistNames,
    bool HaltOnBlocklistHit,
    string OutputType);

internal sealed record AnalyzeImageRequest(ImageData Image, string OutputType);

internal sealed record ImageData(string Content);

/// <summary>One category's verdict; <see cref="Severity"/> is null when the service did not grade it.</summary>
public sealed record CategorySeverity(string Category, int? Severity);

/// <summary>A blocklist item the text matched.</summary>
public sealed record BlocklistMatch(string BlocklistName, string BlocklistItemId, string BlocklistItemText);

internal sealed record AnalyzeResponse(IReadOnlyList<CategorySeverity>? CategoriesAnalysis, IReadOnlyList<BlocklistMatch>? BlocklistsMatch);

internal sealed record ShieldPromptRequest(string UserPrompt, IReadOnlyList<string> Documents);

internal sealed record AttackAnalysis(bool AttackDetected);

internal sealed record ShieldPromptResponse(AttackAnalysis? UserPromptAnalysis, IReadOnlyList<AttackAnalysis>? DocumentsAnalysis);

internal sealed record ProtectedMaterialRequest(string Text);

internal sealed record ProtectedMaterialAnalysis(bool Detected);

internal sealed record ProtectedMaterialResponse(ProtectedMaterialAnalysis? ProtectedMaterialAnalysis);

/// <summary>A text blocklist on the service.</summary>
public sealed record TextBlocklist(string BlocklistName, string? Description);

internal sealed record BlocklistDescription(string? Description);

/// <summary>An item of a text blocklist; <see cref="IsRegex"/> exists from api-version 2024-09-01.</summary>
public sealed record TextBlocklistItem(
    string? BlocklistItemId,
    string Text,
    string? Description,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? IsRegex = null);

internal sealed record AddOrUpdateItemsRequest(IReadOnlyList<TextBlocklistItem> BlocklistItems);

internal sealed record AddOrUpdateItemsResponse(IReadOnlyList<TextBlocklistItem>? BlocklistItems);

internal sealed record RemoveItemsRequest(IReadOnlyList<string> BlocklistItemIds);

internal sealed record Page<T>(IReadOnlyList<T>? Value, string? NextLink);

internal sealed record ErrorBody(ErrorDetail? Error);

internal sealed record ErrorDetail(string? Code, string? Message);
