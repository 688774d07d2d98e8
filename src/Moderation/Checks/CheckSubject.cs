using System.Collections.Concurrent;
using AiSocial.Ingest.Posts;
using AiSocial.SafetyModels;
using SkiaSharp;

namespace AiSocial.Moderation.Checks;

/// <summary>A piece of text checks may read, and where it came from (prompt, caption, altText, ocr).</summary>
public sealed record SubjectText(string Field, string Text);

/// <summary>
/// The thing being checked: an image (decoded once, on first use, shared by every image check) and its texts. Image
/// checks may add text they find (OCR) before the text checks run.
/// </summary>
public sealed class CheckSubject : IDisposable
{
    private readonly Lazy<SKBitmap> _image;
    private readonly ConcurrentQueue<SubjectText> _texts;
    private readonly ConcurrentBag<Task> _stillReading = [];

    public CheckSubject(string uploadSha256, byte[] imageBytes, IEnumerable<SubjectText> texts)
    {
        UploadSha256 = uploadSha256;
        ImageBytes = imageBytes;
        _image = new Lazy<SKBitmap>(() => ModelImages.Decode(imageBytes), LazyThreadSafetyMode.ExecutionAndPublication);
        _texts = new ConcurrentQueue<SubjectText>(texts.Where(t => !string.IsNullOrWhiteSpace(t.Text)));
    }

    public static CheckSubject ForPost(Post post, byte[] imageBytes) =>
        new(post.UploadSha256, imageBytes,
            [new SubjectText("prompt", post.Prompt), new SubjectText("caption", post.Caption ?? ""), new SubjectText(AltTextField, post.AltText ?? "")])
        {
            PostId = post.Id,
            AuthorId = post.Author.Id,
        };

    /// <summary>The post being checked; null when a file is checked on its own (<c>aisocial models check</c>).</summary>
    public Guid? PostId { get; init; }

    /// <summary>The post's author, for checks that treat a person's own content differently (a creator's own opt-outs).</summary>
    public Guid? AuthorId { get; init; }

    /// <summary>The field name of a post's alt text: written for people who cannot see the image, and read by text checks like the rest.</summary>
    public const string AltTextField = "altText";

    /// <summary>The SHA-256 of the file as its author sent it (what shared hash banks hold), not of the stored re-encoding.</summary>
    public string UploadSha256 { get; }

    public byte[] ImageBytes { get; }

    /// <summary>The image decoded to 8-bit RGBA (unpremultiplied). Do not dispose it; the subject owns it.</summary>
    public SKBitmap Image => _image.Value;

    public IReadOnlyList<SubjectText> Texts => _texts.ToArray();

    public void AddText(string field, string text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            _texts.Enqueue(new SubjectText(field, text));
        }
    }

    /// <summary>Keeps the decoded image alive until <paramref name="reader"/> ends, even if the subject is disposed first.</summary>
    public void KeepImageWhile(Task reader) => _stillReading.Add(reader);

    public void Dispose()
    {
        if (!_image.IsValueCreated)
        {
            return;
        }

        var image = _image.Value;
        if (_stillReading.IsEmpty)
        {
            image.Dispose();
        }
        else
        {
            _ = Task.WhenAll(_stillReading).ContinueWith(_ => image.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
