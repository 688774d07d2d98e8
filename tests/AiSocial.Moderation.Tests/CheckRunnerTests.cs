using AiSocial.Moderation.Checks;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests;

public sealed class CheckRunnerTests
{
    /// <summary>
    /// Starts on the image, then overruns its timeout (as synchronous model inference does) until the test releases it,
    /// and reads the image again.
    /// </summary>
    private sealed class SlowImageReader : IPostCheck
    {
        public TaskCompletionSource<SKColor> Seen { get; } = new();

        public ManualResetEventSlim Released { get; } = new();

        public string Source => "test.slow";

        public string SettingsKey => "TestSlow";

        public CheckReads Reads => CheckReads.Image;

        public bool Required => true;

        public TimeSpan Timeout => TimeSpan.FromMilliseconds(100);

        public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
        {
            var image = subject.Image;
            Released.Wait(TimeSpan.FromMinutes(1));
            try
            {
                Seen.SetResult(image.GetPixel(3, 3));
            }
            catch (Exception exception)
            {
                Seen.SetException(exception);
            }

            return Task.FromResult<IReadOnlyList<Signal>>([]);
        }
    }

    private sealed class TextRecorder : IPostCheck
    {
        public IReadOnlyList<SubjectText> Seen { get; private set; } = [];

        public string Source => "test.text";


        public string SettingsKey => "TestText";

        public CheckReads Reads => CheckReads.Text;

        public bool Required => false;

        public TimeSpan Timeout => TimeSpan.FromSeconds(5);

        public Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
        {
            Seen = subject.Texts;
            return Task.FromResult<IReadOnlyList<Signal>>([]);
        }
    }

    private sealed class TextFinder : IPostCheck
    {
        public string Source => "test.finder";

        public string SettingsKey => "TestFinder";

        public CheckReads Reads => CheckReads.Image;

        public bool Required => true;

        public TimeSpan Timeout => TimeSpan.FromSeconds(5);

        public async Task<IReadOnlyList<Signal>> RunAsync(CheckSubject subject, CancellationToken cancellationToken)
        {
            await Task.Delay(50, cancellationToken);
            subject.AddText("ocr", "found in the image");
            return [];
        }
    }

    [Fact]
    public async Task A_check_abandoned_on_timeout_can_still_read_the_image_after_the_subject_is_disposed()
    {
        var slow = new SlowImageReader();
        var image = TestImages.Png(16, 16, seed: 5);
        SKColor expected;
        using (var decoded = SKBitmap.Decode(image))
        {
            expected = decoded.GetPixel(3, 3);
        }

        var subject = new CheckSubject("0", image, []);
        var result = Assert.Single(await new CheckRunner([slow]).RunAsync(subject, CancellationToken.None));
        subject.Dispose();
        slow.Released.Set();

        Assert.Contains("timed out", result.UnavailableReason);
        Assert.Equal(expected, await slow.Seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Text_checks_run_after_image_checks_and_see_the_text_they_found()
    {
        var recorder = new TextRecorder();
        using var subject = new CheckSubject("0", TestImages.Png(), [new SubjectText("prompt", "a red fox"), new SubjectText("caption", " ")]);

        var results = await new CheckRunner([recorder, new TextFinder()]).RunAsync(subject, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Available, r.UnavailableReason));
        Assert.Equal([("prompt", "a red fox"), ("ocr", "found in the image")], recorder.Seen.Select(t => (t.Field, t.Text)));
    }
}
