using Sluice.Hosting;
using Sluice.Analytics;

// The Analytics service on its own; the all-in-one host (tools/Sluice) composes it with the others.
return await SluiceHost.RunServiceAsync(args, services => services.AddSluiceAnalytics(), app => app.MapSluiceAnalytics());
