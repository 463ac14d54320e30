using Sluice.Hosting;
using Sluice.Alerts;

// The Alerts service on its own; the all-in-one host (tools/Sluice) composes it with the others.
return await SluiceHost.RunServiceAsync(args, services => services.AddSluiceAlerts(), app => app.MapSluiceAlerts());
