using AiSocial.Export.Datasets;
using AiSocial.Ingest.Accounts;
using AiSocial.Ingest.Audit;
using AiSocial.Ingest.Consent;
using AiSocial.Ingest.Posts;
using AiSocial.Moderation.Review;
using AiSocial.Moderation.Scanning;
using AiSocial.Testing;

namespace AiSocial.Export.Tests;

/// <summary>Posts in every state an export must tell apart, by authors with every kind of consent.</summary>
public sealed class ExportScenario
{
    public required string Dataset { get; init; }

    public required Account Consenting { get; init; }

    public required List<Post> ConsentingPublished { get; init; }

    public required Post ConsentingPending { get; init; }

    public required Post NeverAskedPublished { get; init; }

    public required Post WithdrawnPublished { get; init; }

    public required long ConsentingEventId { get; init; }

    public static async Task<ExportScenario> CreateAsync(DatabaseFixture platform)
    {
        var consenting = await platform.CreateAccountAsync();
        var neverAsked = await platform.CreateAccountAsync();
        var withdrawn = await platform.CreateAccountAsync();
        var moderator = await platform.CreateAccountAsync(Roles.Moderator);
        var ledger = platform.Get<ConsentLedger>();

        var grant = (await ledger.RecordAsync(new Actor(consenting.Id, consenting.Handle), consenting.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default)).Value;
        await ledger.RecordAsync(new Actor(withdrawn.Id, withdrawn.Handle), withdrawn.Id,
            new ConsentChange(ConsentPurposes.AiTraining, true, "2026-11"), ConsentSource.Import, default);
        await ledger.RecordAsync(new Actor(withdrawn.Id, withdrawn.Handle), withdrawn.Id,
            new ConsentChange(ConsentPurposes.AiTraining, false, "2026-11"), ConsentSource.Import, default);
        // Consent for another purpose says nothing about training.
        await ledger.RecordAsync(new Actor(neverAsked.Id, neverAsked.Handle), neverAsked.Id,
            new ConsentChange(ConsentPurposes.AiInference, true, "2026-11"), ConsentSource.Import, default);

        var consentingPublished = new List<Post>
        {
            await platform.SubmitPostAsync(consenting.Id, TestImages.Png(80, 60, seed: 1), "first consenting prompt"),
            await platform.SubmitPostAsync(consenting.Id, TestImages.Jpeg(64, 64, seed: 2), "second consenting prompt"),
        };
        var pending = await platform.SubmitPostAsync(consenting.Id, TestImages.Png(seed: 3), "still pending");
        var neverAskedPost = await platform.SubmitPostAsync(neverAsked.Id, TestImages.Png(seed: 4), "never asked");
        var withdrawnPost = await platform.SubmitPostAsync(withdrawn.Id, TestImages.Png(seed: 5), "withdrawn");

        // Reviewers decide what is published here, so the labels are human ones.
        await platform.HoldEveryPostAsync();
        await platform.Get<PostScanner>().ScanUntilIdleAsync(default);

        var queue = platform.Get<ReviewQueue>();
        var toApprove = consentingPublished.Append(neverAskedPost).Append(withdrawnPost).Select(p => p.Id).ToHashSet();
        foreach (var item in (await queue.ListOpenAsync(0, 100, default)).Items.Where(i => toApprove.Contains(i.Post.Id)))
        {
            await queue.DecideAsync(item.TaskId, new Actor(moderator.Id, moderator.Handle), ReviewDecision.Approve, false, null, default);
        }

        var dataset = $"ds-{Guid.NewGuid():N}"[..20];
        await platform.Get<DatasetSpecs>().CreateAsync(Actor.System("test"),
            new DatasetSpec { Name = dataset, Description = "test dataset", Purpose = ConsentPurposes.AiTraining }, default).AssertSucceededAsync();
        return new ExportScenario
        {
            Dataset = dataset,
            Consenting = consenting,
            ConsentingPublished = consentingPublished,
            ConsentingPending = pending,
            NeverAskedPublished = neverAskedPost,
            WithdrawnPublished = withdrawnPost,
            ConsentingEventId = grant.Id,
        };
    }
}
