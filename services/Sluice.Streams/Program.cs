using Sluice.Hosting;
using Sluice.Streams;

// The Streams service on its own; the all-in-one host (tools/Sluice) composes it with the others.
return await SluiceHost.RunServiceAsync(args, services => services.AddSluiceStreams(), app => app.MapSluiceStreams());
