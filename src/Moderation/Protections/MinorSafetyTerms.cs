using System.Globalization;
using System.Text.RegularExpressions;
using AiSocial.Ingest.Audit;
using AiSocial.Moderation.Prompts;
using AiSocial.Problems;
using Npgsql;

namespace AiSocial.Moderation.Protections;

/// <summary>One term about children the minor-safety check looks for, and the languages it comes from (such as <c>es,pt</c>).</summary>
public sealed record MinorSafetyTerm(long Id, string Term, string Normalized, string Language, string AddedBy, DateTimeOffset AddedAt);

/// <summary>A term or an age found in one of a post's texts.</summary>
public sealed record MinorSafetyMatch(string Field, string Term, string Language, int? Age = null);

/// <summary>
/// The terms and phrases about children (<c>moderation.minor_safety_terms</c>, seeded in several languages by migration
/// 0008) and the ages under 18 written as numbers. Matching is on whole words after the prompt blocklist's
/// normalisation, so "Niña" and "NINA!" match "niña" but "kidney" does not match "kid". Staff extend the list; every
/// change is audited.
/// </summary>
public sealed partial class MinorSafetyTerms(NpgsqlDataSource dataSource, AuditLog audit)
{
    public const int MaxTermLength = 200;
    public const string LanguageRule = "The language is one or more two-letter codes separated by commas, such as 'en' or 'es,pt'.";

    [GeneratedRegex("^[a-z]{2}(,[a-z]{2})*$")]
    private static partial Regex LanguagePattern();

    // An age written as a number followed by "years old" and its kin in the check's languages, on normalised text (so
    // "12-year-old", "12 y/o" and "12yo" read "12 year old", "12 y o" and "12yo"); or "age 12", "aged 12".
    [GeneratedRegex(
        @"(?<![a-z0-9])(?<age>\d{1,2}) ?(?:yo|y o|yrs? old|years? old|year olds?|anos?|ans|anni|jahre alt|jahrig(?:e|er|es|en)?)(?![a-z0-9])" +
        @"|(?<![a-z0-9])(?:age|aged|edad|idade|eta|alter) (?<age>\d{1,2})(?![a-z0-9])",
        RegexOptions.CultureInvariant)]
    private static partial Regex AgePattern();

    /// <summary>Adds a term; refused when it has no letters or digits, the language is not a code, or it is already listed.</summary>
    public async Task<Outcome<MinorSafetyTerm>> AddAsync(Actor actor, string term, string language, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var normalized = PromptBlocklist.Normalize(term);
        if (normalized.Length == 0 || term.Length > MaxTermLength)
        {
            errors.Add("term", $"The term must have letters or digits, and at most {MaxTermLength} characters.");
        }

        if (!LanguagePattern().IsMatch(language))
        {
            errors.Add("language", LanguageRule);
        }

        if (errors.ToRefusal() is { } invalid)
        {
            return invalid;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        MinorSafetyTerm? entry;
        await using (var command = new NpgsqlCommand(
            $"""
            insert into moderation.minor_safety_terms (term, normalized, language, added_by) values ($1, $2, $3, $4)
            on conflict (normalized) do nothing
            returning {Columns}
            """, connection))
        {
            command.Parameters.Add(new() { Value = term.Trim() });
            command.Parameters.Add(new() { Value = normalized });
            command.Parameters.Add(new() { Value = language });
            command.Parameters.Add(new() { Value = actor.Name });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            entry = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (entry is null)
        {
            return new Refusal(CommonProblems.Conflict, $"'{normalized}' is already a minor-safety term.");
        }

        await audit.AppendAsync(connection, actor, "minor-safety-terms.add", "minor_safety_term", entry.Id.ToString(CultureInfo.InvariantCulture),
            new { term = entry.Term, language }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return entry;
    }

    /// <summary>Removes a term (in any form that normalises the same); refused when it is not listed.</summary>
    public async Task<Outcome<MinorSafetyTerm>> RemoveAsync(Actor actor, string term, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        MinorSafetyTerm? entry;
        await using (var command = new NpgsqlCommand($"delete from moderation.minor_safety_terms where normalized = $1 returning {Columns}", connection))
        {
            command.Parameters.Add(new() { Value = PromptBlocklist.Normalize(term) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            entry = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (entry is null)
        {
            return new Refusal(CommonProblems.NotFound, $"'{term}' is not a minor-safety term.");
        }

        await audit.AppendAsync(connection, actor, "minor-safety-terms.remove", "minor_safety_term", entry.Id.ToString(CultureInfo.InvariantCulture),
            new { term = entry.Term, language = entry.Language }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return entry;
    }

    /// <summary>A page of the terms, by language and term, and how many there are.</summary>
    public async Task<(IReadOnlyList<MinorSafetyTerm> Items, int Total)> ListAsync(int skip, int take, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {Columns}, count(*) over () from moderation.minor_safety_terms
            order by language, normalized offset $1 limit $2
            """);
        command.Parameters.Add(new() { Value = Math.Max(0, skip) });
        command.Parameters.Add(new() { Value = Math.Clamp(take, 1, 500) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<MinorSafetyTerm>();
        var total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader));
            total = (int)reader.GetInt64(6);
        }

        return (items, total);
    }

    /// <summary>Every listed term and every age under 18 found in the texts, field by field.</summary>
    public async Task<IReadOnlyList<MinorSafetyMatch>> FindInAsync(IEnumerable<(string Field, string Text)> texts, CancellationToken cancellationToken)
    {
        var normalized = texts.Select(t => (t.Field, Text: PromptBlocklist.Normalize(t.Text))).Where(t => t.Text.Length > 0).ToList();
        var matches = new List<MinorSafetyMatch>();
        if (normalized.Count == 0)
        {
            return matches;
        }

        // One statement for every field: the padded text contains ' term ' exactly when the term is whole words of it.
        await using (var command = dataSource.CreateCommand(
            """
            select f.field, t.term, t.language
            from unnest($1::text[], $2::text[]) with ordinality as f (field, text, n)
            join moderation.minor_safety_terms t on strpos(' ' || f.text || ' ', ' ' || t.normalized || ' ') > 0
            order by f.n, t.id
            """))
        {
            command.Parameters.Add(new() { Value = normalized.Select(t => t.Field).ToArray() });
            command.Parameters.Add(new() { Value = normalized.Select(t => t.Text).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                matches.Add(new MinorSafetyMatch(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        foreach (var (field, text) in normalized)
        {
            foreach (Match age in AgePattern().Matches(text))
            {
                var years = int.Parse(age.Groups["age"].Value, CultureInfo.InvariantCulture);
                if (years < 18)
                {
                    matches.Add(new MinorSafetyMatch(field, age.Value, "age", years));
                }
            }
        }

        return matches;
    }

    private const string Columns = "id, term, normalized, language, added_by, added_at";

    private static MinorSafetyTerm Read(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5));
}
