using Sluice.Hosting;
using Sluice.Firehose;

// The Firehose service on its own; the all-in-one host (tools/Sluice) composes it with the others.
return await SluiceHost.RunServiceAsync(args, services => services.AddSluiceFirehose(), app => app.MapSluiceFirehose());
