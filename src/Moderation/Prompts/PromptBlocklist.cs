using System.Globalization;
using System.Text.RegularExpressions;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Text;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Moderation.Prompts;

/// <summary>One blocked term: <see cref="Rule"/> is the category it is blocked under (such as <c>violence</c>).</summary>
public sealed record BlocklistEntry(long Id, string Term, string Rule, string AddedBy, DateTimeOffset AddedAt);

/// <summary>
/// The project's prompt blocklist (<c>moderation.prompt_blocklist</c>). A term matches whole words: "gore" matches
/// "Gore!" and "GÖRE" but not "gorey"; "kill all" matches "kill   all" but not "skill all". Changes take effect on the
/// next prompt and are audited.
/// </summary>
public sealed partial class PromptBlocklist(NpgsqlDataSource dataSource, AuditLog audit)
{
    public const int MaxTermLength = 200;
    public const string RuleRule = "The rule is 1-64 lower-case letters, digits and hyphens, such as 'violence' or 'sexual-minors'.";

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex RulePattern();

    /// <summary>Blocks a term under a rule; refused when the term has no letters or digits, or is already blocked.</summary>
    public async Task<Outcome<BlocklistEntry>> AddAsync(Actor actor, string term, string rule, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var normalized = Normalize(term);
        if (normalized.Length == 0 || term.Length > MaxTermLength)
        {
            errors.Add("term", $"The term must have letters or digits, and at most {MaxTermLength} characters.");
        }

        if (!RulePattern().IsMatch(rule))
        {
            errors.Add("rule", RuleRule);
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        BlocklistEntry? entry;
        await using (var command = new NpgsqlCommand(
            """
            insert into moderation.prompt_blocklist (term, normalized, rule, added_by) values ($1, $2, $3, $4)
            on conflict (normalized) do nothing
            returning id, term, rule, added_by, added_at
            """, connection))
        {
            command.Parameters.Add(new() { Value = term.Trim() });
            command.Parameters.Add(new() { Value = normalized });
            command.Parameters.Add(new() { Value = rule });
            command.Parameters.Add(new() { Value = actor.Name });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            entry = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (entry is null)
        {
            return new Refusal(CommonProblems.Conflict, $"'{normalized}' is already on the blocklist.");
        }

        await audit.AppendAsync(connection, actor, "blocklist.add", "prompt_blocklist", entry.Id.ToString(CultureInfo.InvariantCulture),
            new { term = entry.Term, rule }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return entry;
    }

    /// <summary>Unblocks a term (given as entered or in any form that normalises the same); refused when it is not blocked.</summary>
    public async Task<Outcome<BlocklistEntry>> RemoveAsync(Actor actor, string term, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        BlocklistEntry? entry;
        await using (var command = new NpgsqlCommand(
            "delete from moderation.prompt_blocklist where normalized = $1 returning id, term, rule, added_by, added_at", connection))
        {
            command.Parameters.Add(new() { Value = Normalize(term) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            entry = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (entry is null)
        {
            return new Refusal(CommonProblems.NotFound, $"'{term}' is not on the blocklist.");
        }

        await audit.AppendAsync(connection, actor, "blocklist.remove", "prompt_blocklist", entry.Id.ToString(CultureInfo.InvariantCulture),
            new { term = entry.Term, rule = entry.Rule }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return entry;
    }

    /// <summary>Every blocked term, by rule and term.</summary>
    public async Task<IReadOnlyList<BlocklistEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select id, term, rule, added_by, added_at from moderation.prompt_blocklist order by rule, normalized");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<BlocklistEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(Read(reader));
        }

        return entries;
    }

    /// <summary>A page of blocked terms, by rule and term, and how many there are: what the console's list shows.</summary>
    public async Task<(IReadOnlyList<BlocklistEntry> Items, int Total)> ListAsync(int skip, int take, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select id, term, rule, added_by, added_at, count(*) over () from moderation.prompt_blocklist
            order by rule, normalized offset $1 limit $2
            """);
        command.Parameters.Add(new() { Value = Math.Max(0, skip) });
        command.Parameters.Add(new() { Value = Math.Clamp(take, 1, 500) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<BlocklistEntry>();
        var total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(Read(reader));
            total = (int)reader.GetInt64(5);
        }

        return (entries, total);
    }

    /// <summary>The first blocked term (the earliest added) that occurs in the text as whole words; null when none does.</summary>
    internal async Task<BlocklistEntry?> FindInAsync(string text, CancellationToken cancellationToken)
    {
        var normalized = Normalize(text);
        if (normalized.Length == 0)
        {
            return null;
        }

        await using var command = dataSource.CreateCommand(
            """
            select id, term, rule, added_by, added_at from moderation.prompt_blocklist
            where strpos($1, ' ' || normalized || ' ') > 0
            order by id limit 1
            """);
        command.Parameters.Add(new() { Value = $" {normalized} " });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Lower case, without diacritics (compatibility decomposition, combining marks dropped), every run of characters
    /// that are not letters or digits made one space, trimmed: "  Crème-BRÛLÉE!! " becomes "creme brulee". Shared with
    /// creators' opt-outs (<see cref="WordText"/>), which also transliterate.
    /// </summary>
    internal static string Normalize(string text) => WordText.Normalize(text);

    private static BlocklistEntry Read(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4));
}

/// <summary>Refuses a prompt or negative prompt that contains a blocked term, naming the term and its rule.</summary>
internal sealed class BlocklistPromptCheck(PromptBlocklist blocklist) : IPromptCheck
{
    public string Name => "blocklist";

    public async Task<Refusal?> CheckAsync(PromptSubject subject, CancellationToken cancellationToken)
    {
        foreach (var (field, text) in subject.Texts())
        {
            if (await blocklist.FindInAsync(text, cancellationToken) is { } entry)
            {
                var where = field == "prompt" ? "prompt" : "negative prompt";
                return PromptGate.Refused(Name, field, $"The {where} contains '{entry.Term}', which the platform does not allow (rule: {entry.Rule}).",
                    new Dictionary<string, object?> { ["rule"] = entry.Rule, ["term"] = entry.Term });
            }
        }

        return null;
    }
}
