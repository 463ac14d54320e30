using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sluice.Hosting;

/// <summary>
/// Serves HTTP/1.1 and cleartext HTTP/2 (prior knowledge, as the AWS JavaScript SDK sends to http:// endpoints) on one
/// port. Kestrel picks HTTP/2 only from TLS ALPN, so this connection middleware peeks at the first bytes and, when they
/// are the HTTP/2 preface, presents the connection as if ALPN had chosen h2.
/// </summary>
public static class Http2PriorKnowledge
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static ListenOptions UseHttp2PriorKnowledge(this ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.Use(next => async connection =>
        {
            if (await StartsWithPrefaceAsync(connection))
            {
                connection.Features.Set<ITlsConnectionFeature>(new NegotiatedH2());
                connection.Features.Set<ITlsApplicationProtocolFeature>(new NegotiatedH2());
            }

            await next(connection);
        });
        return listen;
    }

    private static async Task<bool> StartsWithPrefaceAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(connection.ConnectionClosed);
            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            var head = buffer.Slice(0, length).ToArray();
            var matches = head.AsSpan().SequenceEqual(Preface.AsSpan(0, length));
            // Leave every byte unread for Kestrel's own parser.
            input.AdvanceTo(buffer.Start, matches && length < Preface.Length ? buffer.End : buffer.Start);
            if (!matches) return false;
            if (length == Preface.Length) return true;
            if (result.IsCompleted) return false;
        }
    }

    private sealed class NegotiatedH2 : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; }

        public ReadOnlyMemory<byte> ApplicationProtocol => "h2"u8.ToArray();

        public Task<System.Security.Cryptography.X509Certificates.X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
            Task.FromResult<System.Security.Cryptography.X509Certificates.X509Certificate2?>(null);
    }
}
