using System.Globalization;

namespace Sluice.Hosting;

/// <summary>Which database holds the services' state.</summary>
public enum StorageKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The settings every Sluice process understands. Each is a command-line option (<c>--data-dir</c>) and an
/// environment variable (<c>SLUICE_DATA_DIR</c>); the command line wins. Scripts and the Helm chart rely on these names.
/// </summary>
public sealed class SluiceSettings
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 4567;

    /// <summary>TLS port serving HTTP/1.1 and HTTP/2 by ALPN, for SubscribeToShard (0 picks a free port; -1 turns it off).</summary>
    public int TlsPort { get; set; } = 4568;

    /// <summary>PFX/PEM certificate for the TLS port; when unset a self-signed one is created under the data dir.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>Password of <see cref="TlsCertificate"/>, when it has one.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>HTTP/2-only cleartext port of the internal gRPC data plane (0 picks a free port; -1 turns it off).</summary>
    public int GrpcPort { get; set; } = 4569;

    public string DataDir { get; set; } = "./data";

    public StorageKind Storage { get; set; } = StorageKind.Sqlite;

    public string? Postgres { get; set; }

    public string Region { get; set; } = "us-east-1";

    public string AccountId { get; set; } = "000000000000";

    /// <summary>Milliseconds a new stream stays CREATING (kinesalite's --createStreamMs).</summary>
    public int CreateStreamMs { get; set; }

    /// <summary>Milliseconds a deleted stream stays DELETING.</summary>
    public int DeleteStreamMs { get; set; }

    /// <summary>Milliseconds a stream stays UPDATING after a reshard, mode or encryption change.</summary>
    public int UpdateStreamMs { get; set; }

    /// <summary>Open shards allowed across the account.</summary>
    public int ShardLimit { get; set; } = 500;

    /// <summary>Enforce the per-shard throughput quotas (1 MiB/s or 1000 records/s in, 2 MiB/s and 5 calls/s out).</summary>
    public bool ThroughputLimits { get; set; }

    /// <summary>Shards a new ON_DEMAND stream starts with.</summary>
    public int OnDemandShards { get; set; } = 4;

    /// <summary>Refuse unsigned requests as AWS does. Off only for hand-made curl calls.</summary>
    public bool RequireSignature { get; set; } = true;

    /// <summary>S3-compatible endpoint (path-style) for Firehose destinations and Analytics reference data; credentials
    /// come from the standard AWS environment variables. Unset: Firehose S3 destinations write files under the data dir.</summary>
    public string? S3Endpoint { get; set; }

    /// <summary>gRPC address of the Streams service for Firehose, Analytics and Alerts; unset in the all-in-one host
    /// means this process's own Streams.</summary>
    public string? StreamsGrpc { get; set; }

    /// <summary>Lambda ARN (or function name) → HTTP URL of a handler that speaks the Lambda event contract.</summary>
    public Dictionary<string, string> LambdaEndpoints { get; } = new(StringComparer.Ordinal);

    /// <summary>A declarative resources file (YAML: streams, delivery streams, applications, rules) applied at start.</summary>
    public string? ResourcesFile { get; set; }

    /// <summary>SMTP server (host:port) the Alerts e-mail notifier sends through.</summary>
    public string? Smtp { get; set; }

    private static readonly (string Name, string Help, Action<SluiceSettings, string> Set)[] Options =
    [
        ("host", "address to listen on (default 127.0.0.1)", (s, v) => s.Host = v),
        ("port", "port for the AWS APIs (default 4567)", (s, v) => s.Port = Int(v, "port")),
        ("tls-port", "TLS port (HTTP/1.1 + HTTP/2) for SubscribeToShard, -1 = off (default 4568)", (s, v) => s.TlsPort = PortNumber(v, "tls-port")),
        ("tls-certificate", "certificate file for the TLS port (default: self-signed under --data-dir)", (s, v) => s.TlsCertificate = v),
        ("tls-certificate-password", "password of --tls-certificate", (s, v) => s.TlsCertificatePassword = v),
        ("grpc-port", "HTTP/2 port of the gRPC data plane, -1 = off (default 4569)", (s, v) => s.GrpcPort = PortNumber(v, "grpc-port")),
        ("data-dir", "where embedded state lives (default ./data)", (s, v) => s.DataDir = v),
        ("storage", "sqlite | postgres (default sqlite)", (s, v) => s.Storage = ParseStorage(v)),
        ("postgres", "PostgreSQL connection string (implies --storage postgres)", (s, v) => { s.Postgres = v; s.Storage = StorageKind.Postgres; }),
        ("region", "region named in ARNs (default us-east-1)", (s, v) => s.Region = v),
        ("account-id", "12-digit account named in ARNs (default 000000000000)", (s, v) => s.AccountId = v),
        ("create-stream-ms", "ms a stream stays CREATING (default 0)", (s, v) => s.CreateStreamMs = Int(v, "create-stream-ms")),
        ("delete-stream-ms", "ms a stream stays DELETING (default 0)", (s, v) => s.DeleteStreamMs = Int(v, "delete-stream-ms")),
        ("update-stream-ms", "ms a stream stays UPDATING (default 0)", (s, v) => s.UpdateStreamMs = Int(v, "update-stream-ms")),
        ("shard-limit", "open shards allowed in the account (default 500)", (s, v) => s.ShardLimit = Int(v, "shard-limit")),
        ("throughput-limits", "true to enforce per-shard throughput quotas (default false)", (s, v) => s.ThroughputLimits = Bool(v, "throughput-limits")),
        ("on-demand-shards", "shards of a new ON_DEMAND stream (default 4)", (s, v) => s.OnDemandShards = Int(v, "on-demand-shards")),
        ("require-signature", "false to accept unsigned requests (default true)", (s, v) => s.RequireSignature = Bool(v, "require-signature")),
        ("s3-endpoint", "S3-compatible endpoint URL, path-style (default: files under --data-dir)", (s, v) => s.S3Endpoint = Url(v, "s3-endpoint")),
        ("streams-grpc", "gRPC address of the Streams service (default: this process)", (s, v) => s.StreamsGrpc = Url(v, "streams-grpc")),
        ("lambda-endpoints", "ARN=URL[,ARN=URL...]: HTTP handlers standing in for Lambda functions", (s, v) => AddLambdaEndpoints(s, v)),
        ("resources", "YAML resources file applied at start", (s, v) => s.ResourcesFile = v),
        ("smtp", "SMTP server host:port for e-mail notifications", (s, v) => s.Smtp = v),
    ];

    /// <summary>One line per option, for --help.</summary>
    public static IEnumerable<string> Help => Options.Select(o => $"  --{o.Name,-20} {o.Help}  [env SLUICE_{EnvName(o.Name)}]");

    /// <summary>Reads the environment, then the command line; throws <see cref="ArgumentException"/> naming a bad option.</summary>
    public static SluiceSettings Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var settings = new SluiceSettings();
        foreach (var (name, _, set) in Options)
        {
            if (environment("SLUICE_" + EnvName(name)) is { Length: > 0 } value) set(settings, value);
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{arg}'.");
            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            var option = Options.FirstOrDefault(o => o.Name == name);
            if (option.Name is null) throw new ArgumentException($"Unknown option '--{name}'. Known: {string.Join(", ", Options.Select(o => "--" + o.Name))}.");
            if (value is null)
            {
                if (i + 1 >= args.Count) throw new ArgumentException($"Option '--{name}' needs a value.");
                value = args[++i];
            }

            option.Set(settings, value);
        }

        if (settings.Storage == StorageKind.Postgres && string.IsNullOrWhiteSpace(settings.Postgres))
        {
            throw new ArgumentException("--storage postgres needs --postgres <connection string> (or SLUICE_POSTGRES).");
        }

        return settings;
    }

    private static string EnvName(string option) => option.Replace('-', '_').ToUpperInvariant();

    private static int Int(string v, string name) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new ArgumentException($"Option '--{name}' needs a whole number >= 0, got '{v}'.");

    private static int PortNumber(string v, string name) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= -1 and <= 65535
            ? n
            : throw new ArgumentException($"Option '--{name}' needs a port number (0 = any free port, -1 = off), got '{v}'.");

    private static string Url(string v, string name) =>
        Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? v.TrimEnd('/')
            : throw new ArgumentException($"Option '--{name}' needs an http:// or https:// URL, got '{v}'.");

    private static void AddLambdaEndpoints(SluiceSettings settings, string v)
    {
        foreach (var pair in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.LastIndexOf("=http", StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"Option '--lambda-endpoints' needs ARN=URL pairs, got '{pair}'.");
            settings.LambdaEndpoints[pair[..eq]] = Url(pair[(eq + 1)..], "lambda-endpoints");
        }
    }

    private static bool Bool(string v, string name) => v.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ArgumentException($"Option '--{name}' needs true or false, got '{v}'."),
    };

    private static StorageKind ParseStorage(string v) => v.ToLowerInvariant() switch
    {
        "sqlite" => StorageKind.Sqlite,
        "postgres" or "postgresql" => StorageKind.Postgres,
        _ => throw new ArgumentException($"Option '--storage' must be sqlite or postgres, got '{v}'."),
    };
}
