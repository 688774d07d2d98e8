using System.Net.Sockets;
using System.Text;

namespace AiSocial.Testing;

/// <summary>An HTTP/1.1 answer as it came off the wire.</summary>
public sealed record RawResponse(int Status, string Head, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The value of a response header, or null.</summary>
    public string? Header(string name) =>
        Head.Split("\r\n").Skip(1).Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim()).FirstOrDefault();
}

/// <summary>
/// Sends bytes no well-behaved client would send (a NUL in the path, two Content-Lengths, a cut-off multipart body)
/// straight down a socket, and reads the answer until the server closes the connection.
/// </summary>
public static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri server, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything (a body over the limit); read what it said.
        }

        using var response = new MemoryStream();
        try
        {
            await stream.CopyToAsync(response, timeout.Token);
        }
        catch (IOException) when (response.Length > 0)
        {
            // A reset after the answer was written.
        }

        var bytes = response.ToArray();
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (split < 12)
        {
            throw new InvalidDataException($"No HTTP answer: {Encoding.UTF8.GetString(bytes)}");
        }

        var head = Encoding.ASCII.GetString(bytes, 0, split);
        var body = bytes[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return new RawResponse(int.Parse(head.AsSpan(9, 3)), head, body);
    }

    /// <summary>
    /// One request: a Host header, Content-Length for the body (unless <paramref name="headers"/> brings its own
    /// framing), and Connection: close so the answer ends with the connection.
    /// </summary>
    public static byte[] Request(string method, string target, IEnumerable<string>? headers = null, byte[]? body = null, string host = "localhost")
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        var extra = headers?.ToList() ?? [];
        foreach (var header in extra)
        {
            head.Append(header).Append("\r\n");
        }

        var framed = extra.Any(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) || h.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase));
        if (body is not null && !framed)
        {
            head.Append($"Content-Length: {body.Length}\r\n");
        }

        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body ?? []];
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        using var body = new MemoryStream();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked, position, lineEnd).Split(';')[0].Trim(), 16);
            position += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            body.Write(chunked, position, Math.Min(size, chunked.Length - position));
            position += size + 2;
        }

        return body.ToArray();
    }
}
