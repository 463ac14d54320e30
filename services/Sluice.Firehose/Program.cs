using Sluice.Hosting;
using Sluice.Firehose;

// The Firehose service on its own; the all-in-one host (tools/Sluice) composes it with the others.
SluiceSettings settings;
try
{
    settings = SluiceSettings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var builder = SluiceHost.CreateBuilder(settings);
builder.Services.AddSluiceFirehose();
var app = builder.Build();
app.MapHealth();
app.MapSluiceFirehose();
await app.RunAsync();
return 0;
