using AiSocial.Export.Parquet;

namespace AiSocial.Export.Tests;

public sealed class DatasetColumnsTests
{
    [Fact]
    public void Schemas_made_at_the_same_time_each_keep_their_columns_levels()
    {
        // Parquet.Net computes a field's definition level when a schema takes it, by assigning then incrementing: two
        // schemas sharing one field object, made at once, could leave it at 2 and a shard's prompts unreadable.
        var expected = DatasetColumns.Select(null).Schema.GetDataFields().ToDictionary(f => f.Path.ToString(), f => (f.MaxDefinitionLevel, f.MaxRepetitionLevel));
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 3000; i++)
            {
                foreach (var field in DatasetColumns.Select(null).Schema.GetDataFields())
                {
                    if ((field.MaxDefinitionLevel, field.MaxRepetitionLevel) != expected[field.Path.ToString()])
                    {
                        wrong.Add($"{field.Path}: {field.MaxDefinitionLevel}/{field.MaxRepetitionLevel}");
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(wrong.Distinct());
    }
}
