using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Hosting;

/// <summary>
/// The certificate of the TLS port: the configured PFX or PEM file, else a self-signed one for localhost and 127.0.0.1
/// made on first start under the data dir (with a PEM copy for clients to trust) and reused afterwards.
/// </summary>
public static class TlsCertificates
{
    /// <summary>Where the self-signed certificate lives, relative to the data dir.</summary>
    public const string SelfSignedPfx = "tls/sluice-selfsigned.pfx";

    /// <summary>The PEM copy of the self-signed certificate (for AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, --ca-bundle).</summary>
    public const string SelfSignedCrt = "tls/sluice-selfsigned.crt";

    public static X509Certificate2 Load(SluiceSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.TlsCertificate)) return LoadFile(settings.TlsCertificate, settings.TlsCertificatePassword);
        return LoadOrCreateSelfSigned(settings.DataDir);
    }

    /// <summary>Path of the PEM certificate clients should trust when Sluice made its own.</summary>
    public static string SelfSignedCrtPath(string dataDir) => Path.GetFullPath(Path.Combine(dataDir, SelfSignedCrt));

    private static X509Certificate2 LoadFile(string path, string? password)
    {
        if (!File.Exists(path)) throw new ArgumentException($"Option '--tls-certificate': file '{path}' does not exist.");
        var text = File.ReadAllText(path);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            // PEM: the key sits in the same file, or beside it as <name>.key.
            var keyPath = Path.ChangeExtension(path, ".key");
            var keyText = text.Contains("PRIVATE KEY-----", StringComparison.Ordinal) ? text : File.Exists(keyPath) ? File.ReadAllText(keyPath) : null;
            if (keyText is null) throw new ArgumentException($"Option '--tls-certificate': '{path}' has no private key and there is no '{keyPath}'.");
            using var pem = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPem(text, keyText)
                : X509Certificate2.CreateFromEncryptedPem(text, keyText, password);
            // Exported and reloaded so the key is usable by SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password);
    }

    private static X509Certificate2 LoadOrCreateSelfSigned(string dataDir)
    {
        var pfxPath = Path.GetFullPath(Path.Combine(dataDir, SelfSignedPfx));
        var crtPath = SelfSignedCrtPath(dataDir);
        if (File.Exists(pfxPath))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(pfxPath, null);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(30))
            {
                if (!File.Exists(crtPath)) File.WriteAllText(crtPath, existing.ExportCertificatePem());
                return existing;
            }

            existing.Dispose();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(pfxPath)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Sluice", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        // A self-signed leaf that clients trust directly: it is its own CA, and may serve TLS.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        var pfx = created.Export(X509ContentType.Pkcs12);
        // Written to temp names and moved, so a concurrent or interrupted start never sees half a file.
        WriteAtomically(pfxPath, pfx);
        WriteAtomically(crtPath, System.Text.Encoding.ASCII.GetBytes(created.ExportCertificatePem()));
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
