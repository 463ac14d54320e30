using Sluice.Cli;
using Sluice.Hosting;

// The `sluice` command: `up` runs every service in one process (the embedded, all-in-one mode).
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage();
    return args.Length == 0 ? 2 : 0;
}

if (args[0] != "up")
{
    Console.Error.WriteLine($"Unknown command '{args[0]}'.");
    PrintUsage();
    return 2;
}

SluiceSettings settings;
try
{
    settings = SluiceSettings.Parse(args[1..]);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var builder = SluiceHost.CreateBuilder(settings);
builder.Services.AddSluiceAllInOne();
var app = builder.Build();
app.MapSluiceAllInOne();
await app.StartAsync();

var endpoint = $"http://{settings.Host}:{settings.Port}";
Console.WriteLine($"Sluice is up on {endpoint} (storage: {settings.Storage}{(settings.Storage == StorageKind.Sqlite ? " in " + Path.GetFullPath(settings.DataDir) : "")})");
if (settings.TlsPort != -1)
{
    var certificate = settings.TlsCertificate ?? TlsCertificates.SelfSignedCrtPath(settings.DataDir);
    Console.WriteLine($"  TLS (HTTP/1.1 + HTTP/2, for SubscribeToShard): https://{settings.Host}:{settings.TlsPort}  certificate: {certificate}");
}

if (app.GrpcAddress() is { } grpc) Console.WriteLine($"  gRPC data plane (HTTP/2): {grpc}");
Console.WriteLine($"  on {endpoint}: kinesis, firehose and kinesisanalytics (AWS JSON 1.1), Alerts REST under {endpoint}/alerts/v1");
Console.WriteLine(settings.S3Endpoint is { } s3 ? $"  S3 destinations and reference data: {s3}" : $"  no --s3-endpoint: S3 objects are files under {Path.GetFullPath(Path.Combine(settings.DataDir, "s3"))}");
Console.WriteLine($"  try: aws --endpoint-url {endpoint} kinesis create-stream --stream-name demo --shard-count 2");
Console.WriteLine("  Ctrl-C stops it.");
await app.WaitForShutdownAsync();
Console.WriteLine("Sluice stopped.");
return 0;

static void PrintUsage()
{
    Console.WriteLine("usage: sluice up [options]");
    Console.WriteLine();
    Console.WriteLine("Runs Sluice all-in-one: Streams, Firehose, Analytics and Alerts on one port, state under --data-dir.");
    Console.WriteLine();
    foreach (var line in SluiceSettings.Help) Console.WriteLine(line);
}
