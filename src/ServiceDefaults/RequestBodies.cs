using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Says what was wrong with a request body the framework refused without a word. Minimal APIs answer a body that
/// breaks off, a chunked encoding that lies or a body over the size limit with a bare status (the server's exception
/// is only logged), and a multipart reader that runs out of body with a bare 400. Each request body is read through a
/// stream that remembers the server's complaint, so the problem written for that status can repeat it.
/// </summary>
internal static class RequestBodies
{
    public static IApplicationBuilder UseRequestBodyFailures(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = new RecordingStream(request.Body);
            context.Features.Set(body);
            request.Body = body;
        }

        return next(context);
    });

    /// <summary>What to tell a client whose body was refused with <paramref name="status"/> and no detail, or null.</summary>
    public static string? Explain(HttpContext context, int status)
    {
        var failure = context.Features.Get<RecordingStream>()?.Failure;
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(context);
        }

        if (status != StatusCodes.Status400BadRequest)
        {
            return null;
        }

        if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false } antiforgery)
        {
            // The token is read from the form, so a form that cannot be read fails here first.
            return antiforgery.Error?.InnerException is InvalidDataException
                ? "The form could not be read: a field holds a character a form may not carry (such as U+0000). Send text without control characters."
                : "The form was sent without a valid antiforgery token: load the page again and send the form from it.";
        }

        if (failure is not null)
        {
            return $"The request body could not be read: {failure.Message.TrimEnd('.')}. Send the whole body, framed by a correct Content-Length or chunked encoding.";
        }

        if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).ToString();
            return $"The multipart body could not be read: it ends before its closing boundary, or its parts are not separated by the boundary its Content-Type names ('{boundary}').";
        }

        return null;
    }

    /// <summary>The size limit this request was held to, in words.</summary>
    public static string TooLarge(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"The request body is larger than this endpoint takes: at most {Size(limit)}."
            : "The request body is larger than this endpoint takes.";

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB" : $"{bytes / 1024.0:0.#} KB";

    /// <summary>Passes reads through and keeps the first failure the server raised while reading.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        public Exception? Failure { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (BadHttpRequestException exception)
            {
                Failure ??= exception;
                throw;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (BadHttpRequestException exception)
            {
                Failure ??= exception;
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
