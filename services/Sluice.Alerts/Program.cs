using Sluice.Hosting;
using Sluice.Alerts;

// The Alerts service on its own; the all-in-one host (tools/Sluice) composes it with the others.
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
builder.Services.AddSluiceAlerts();
var app = builder.Build();
app.MapHealth();
app.MapSluiceAlerts();
await app.RunAsync();
return 0;
