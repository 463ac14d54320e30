using Sluice.Hosting;
using Sluice.Streams;

// The Streams service on its own; the all-in-one host (tools/Sluice) composes it with the others.
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
builder.Services.AddSluiceStreams();
var app = builder.Build();
app.MapHealth();
app.MapSluiceStreams();
await app.RunAsync();
return 0;
