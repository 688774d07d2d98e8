using AiSocial.Export.Datasets;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Problems;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

public sealed class DatasetSpecsTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private DatasetSpecs Specs => platform.Get<DatasetSpecs>();

    private static string NewName() => $"spec-{Guid.NewGuid():N}"[..21];

    private static DatasetSpec Valid(string name) => new() { Name = name, Description = "Approved posts for training." };

    [Fact]
    public void JSON_that_cannot_be_read_is_refused_naming_the_path_of_the_bad_value()
    {
        var refusal = DatasetSpec.Parse("""{"name": "a", "description": "b", "filters": {"from": "last tuesday"}}""").Refusal!;

        Assert.Equal(CommonProblems.ValidationFailed, refusal.Problem);
        Assert.Contains("filters.from", refusal.Errors!.Keys);

        Assert.Contains("splits.train", DatasetSpec.Parse("""{"name": "a", "description": "b", "splits": {"train": "most"}}""").Refusal!.Errors!.Keys);
        Assert.Contains("colour", DatasetSpec.Parse("""{"name": "a", "description": "b", "colour": "blue"}""").Refusal!.Detail);
        // A missing required field is named by its path, as any other, not by the serializer's wording (which names a .NET type).
        var missing = DatasetSpec.Parse("""{"name": "a", "purpose": "cawg.ai_training"}""").Refusal!;
        Assert.Equal(["description is required."], missing.Errors!["description"]);
        Assert.DoesNotContain("AiSocial", missing.Detail);
        Assert.Equal(["name", "description"], DatasetSpec.Parse("""{"description": null}""").Refusal!.Errors!.Keys);
        Assert.Contains("array", DatasetSpec.Parse("[]").Refusal!.Detail);
        Assert.Equal(CommonProblems.ValidationFailed, DatasetSpec.Parse("""{"name": """).Refusal!.Problem);
    }

    [Fact]
    public void Every_invalid_field_is_named_by_its_JSON_path()
    {
        var spec = DatasetSpec.Parse(
            """
            {
              "name": "Not Valid", "description": "x", "purpose": "cawg.everything", "license": "not a licence!",
              "filters": {"tags": ["ok", " "], "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "minLabelConfidence": 1.5},
              "columns": ["prompt", "no_such_column", "prompt"],
              "splits": {"train": 0.5, "validation": 0.1, "test": 0.1},
              "salt": "short", "shardSizeMb": 0, "rowGroupMb": 101, "schedule": "every night"
            }
            """).Value;

        var errors = DatasetSpecs.Validate(spec)!.Errors!;

        Assert.Equal(
            ["columns[1]", "columns[2]", "filters.from", "filters.minLabelConfidence", "filters.tags[1]", "license", "name", "purpose", "rowGroupMb", "salt",
                "schedule", "shardSizeMb", "splits"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("sum to 0.7", errors["splits"][0]);
        Assert.Contains("no_such_column", errors["columns[1]"][0]);
    }

    [Fact]
    public void A_spec_with_the_defaults_is_valid_and_its_JSON_is_the_contracts_camelCase()
    {
        var spec = DatasetSpec.Parse("""{"name": "ok", "description": "fine", "schedule": "0 0 3 * * ?"}""").Value;

        Assert.Null(DatasetSpecs.Validate(spec with { Salt = "0123456789abcdef" }));
        var json = System.Text.Json.JsonDocument.Parse(spec.ToJson()).RootElement;
        Assert.Equal(["name", "description", "purpose", "license", "filters", "columns", "splits", "salt", "shardSizeMb", "rowGroupMb", "schedule"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.8, json.GetProperty("splits").GetProperty("train").GetDouble());
        Assert.False(json.GetProperty("filters").GetProperty("includeSensitive").GetBoolean());
    }

    [Fact]
    public void A_split_left_out_of_a_given_splits_object_has_no_rows_instead_of_its_default()
    {
        var spec = DatasetSpec.Parse("""{"name": "ok", "description": "fine", "splits": {"train": 0.9, "test": 0.1}}""").Value;

        Assert.Null(DatasetSpecs.Validate(spec with { Salt = "0123456789abcdef" }));
        Assert.Equal((0.9, 0.0, 0.1), (spec.Splits.Train, spec.Splits.Validation, spec.Splits.Test));
        Assert.Equal(0.1, DatasetSpec.Parse("""{"name": "ok", "description": "fine"}""").Value.Splits.Validation);
    }

    [Fact]
    public void Row_groups_left_out_are_32_MB_or_the_shard_size_when_shards_are_smaller()
    {
        var small = DatasetSpec.Parse("""{"name": "ok", "description": "fine", "shardSizeMb": 20}""").Value;
        var explicitlyLarger = DatasetSpec.Parse("""{"name": "ok", "description": "fine", "shardSizeMb": 50, "rowGroupMb": 80}""").Value;

        Assert.Equal(20, small.RowGroupMb);
        Assert.Null(DatasetSpecs.Validate(small with { Salt = "0123456789abcdef" }));
        Assert.Equal(32, DatasetSpec.Parse("""{"name": "ok", "description": "fine"}""").Value.RowGroupMb);
        Assert.Equal(32, DatasetSpec.Parse("""{"name": "ok", "description": "fine", "shardSizeMb": 50}""").Value.RowGroupMb);
        Assert.Contains("rowGroupMb", DatasetSpecs.Validate(explicitlyLarger with { Salt = "0123456789abcdef" })!.Errors!.Keys);
    }

    [Fact]
    public async Task Create_saves_version_1_with_a_generated_salt_and_audits_it_without_the_salt()
    {
        var name = NewName();

        var created = (await Specs.CreateAsync(Actor.System("test"), Valid(name), default)).Value;

        Assert.Equal(1, created.Version);
        Assert.Matches("^[0-9a-f]{32}$", created.Spec.Salt);
        Assert.Equal(created.Spec.ToJson(), Assert.Single(await Specs.HistoryAsync(name, default)).Spec.ToJson());
        var audit = Assert.Single(await platform.Get<AuditLog>().ForSubjectAsync("dataset", name, default), e => e.Action == "dataset.create");
        Assert.DoesNotContain(created.Spec.Salt!, audit.Detail.GetRawText());
        Assert.Equal(1, audit.Detail.GetProperty("version").GetInt32());

        var again = await Specs.CreateAsync(Actor.System("test"), Valid(name), default).AssertRefusedAsync();
        Assert.Equal("dataset-exists", again.Problem.Code);
    }

    [Fact]
    public async Task Each_edit_is_a_new_version_kept_in_the_history_audited_and_mirrored_in_the_plain_columns()
    {
        var name = NewName();
        var created = (await Specs.CreateAsync(Actor.System("test"), Valid(name), default)).Value;

        var edited = (await Specs.UpdateAsync(Actor.System("editor"), name, created.Spec with
        {
            Description = "Now with sensitive posts.",
            Purpose = ConsentPurposes.AiGenerativeTraining,
            Filters = new DatasetFilters { IncludeSensitive = true, Tags = ["landscape"] },
            Salt = null, // kept
        }, default)).Value;

        Assert.Equal(2, edited.Version);
        Assert.Equal(created.Spec.Salt, edited.Spec.Salt);
        Assert.Equal("system:editor", edited.UpdatedBy);
        Assert.Equal([2, 1], (await Specs.HistoryAsync(name, default)).Select(v => v.Version));
        Assert.Equal(("Now with sensitive posts.", ConsentPurposes.AiGenerativeTraining, true, 2), await ColumnsAsync(name));
        Assert.Contains(await platform.Get<AuditLog>().ForSubjectAsync("dataset", name, default),
            e => e.Action == "dataset.update" && e.Detail.GetProperty("version").GetInt32() == 2);

        // Saving what is already there saves no version.
        Assert.Equal(2, (await Specs.UpdateAsync(Actor.System("editor"), name, edited.Spec, default)).Value.Version);
        Assert.Equal(2, await platform.ScalarAsync<long>(
            "select count(*) from export.dataset_specs s join export.datasets d on d.id = s.dataset_id where d.name = $1", name));
    }

    [Fact]
    public async Task The_name_and_salt_never_change_and_an_invalid_edit_saves_nothing()
    {
        var name = NewName();
        var created = (await Specs.CreateAsync(Actor.System("test"), Valid(name), default)).Value;

        var renamed = await Specs.UpdateAsync(Actor.System("test"), name, created.Spec with { Name = "other" }, default).AssertRefusedAsync();
        var resalted = await Specs.UpdateAsync(Actor.System("test"), name, created.Spec with { Salt = "a-different-salt-value" }, default).AssertRefusedAsync();
        var invalid = await Specs.UpdateAsync(Actor.System("test"), name, created.Spec with { ShardSizeMb = 900 }, default).AssertRefusedAsync();

        Assert.Equal(["name"], renamed.Errors!.Keys);
        Assert.Equal(["salt"], resalted.Errors!.Keys);
        Assert.Equal(["shardSizeMb"], invalid.Errors!.Keys);
        Assert.Equal(1, (await Specs.FindAsync(name, default))!.Version);
    }

    private async Task<(string, string, bool, int)> ColumnsAsync(string name)
    {
        await using var command = platform.DataSource.CreateCommand("select description, purpose, allow_sensitive, spec_version from export.datasets where name = $1");
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3));
    }
}
