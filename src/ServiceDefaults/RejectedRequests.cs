using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using AiSocial.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Kestrel answers a request it cannot parse (a NUL or control character in the path, a bad Content-Length, a URL or
/// headers over its limits) itself, before any middleware runs, with an empty body — and it offers no way to change
/// that. This connection middleware recognises such an answer on its way out (an HTTP/1.1 4xx with
/// <c>Content-Length: 0</c> and no content type, which the application's own problems never are) and gives it an
/// RFC 9457 problem body like every other refusal.
/// </summary>
internal static class RejectedRequests
{
    public static void Describe(KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
        {
            connection.Transport = new DescribedTransport(connection.Transport);
            return next(connection);
        }));

    private sealed class DescribedTransport(IDuplexPipe transport) : IDuplexPipe
    {
        public PipeReader Input => transport.Input;

        public PipeWriter Output { get; } = new DescribingWriter(transport.Output);
    }

    /// <summary>Passes every byte through, except a bare rejection, which it replaces with the same status and a problem body.</summary>
    private sealed class DescribingWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _handedOut;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _handedOut = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_handedOut = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            // Kestrel writes a rejection's head in one piece; anything else goes through untouched.
            if (bytes is > 12 and < 1024 && _handedOut.Length >= bytes && Described(_handedOut.Span[..bytes]) is { } described)
            {
                var span = inner.GetSpan(described.Length);
                described.CopyTo(span);
                inner.Advance(described.Length);
                return;
            }

            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private static byte[]? Described(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith("HTTP/1.1 4"u8) || !written.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }

        var head = Encoding.ASCII.GetString(written);
        var lines = head[..^4].Split("\r\n");
        var headers = lines.Skip(1).ToList();
        if (!headers.Contains("Content-Length: 0", StringComparer.OrdinalIgnoreCase)
            || headers.Any(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
            || !int.TryParse(lines[0].AsSpan(9, 3), out var status))
        {
            return null;
        }

        var problem = status switch
        {
            StatusCodes.Status413PayloadTooLarge => CommonProblems.PayloadTooLarge,
            StatusCodes.Status415UnsupportedMediaType => CommonProblems.UnsupportedMediaType,
            _ => CommonProblems.MalformedRequest,
        };
        var details = new Dictionary<string, object>
        {
            ["type"] = problem.Type,
            ["title"] = problem.Title,
            ["status"] = status,
            ["detail"] = Detail(status),
            ["code"] = problem.Code,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(details);
        var rewritten = new StringBuilder()
            .Append(lines[0]).Append("\r\n")
            .Append("Content-Type: ").Append(ProblemResponses.ContentType).Append("\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .AppendJoin("", headers.Where(h => !h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(h => h + "\r\n"))
            .Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(rewritten.ToString()), .. body];
    }

    private static string Detail(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => "The request did not arrive in time; send it again.",
        StatusCodes.Status411LengthRequired => "Send a Content-Length header (or a chunked body) with the request.",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this server takes.",
        StatusCodes.Status414UriTooLong => "The URL is longer than this server takes (8 KB).",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "The request headers are larger than this server takes (32 KB).",
        _ => "The request could not be read: its request line, a header or the body's framing is malformed " +
             "(such as a NUL or control character in the path, or a Content-Length that is not one number).",
    };
}
