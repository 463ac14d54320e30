using Sluice.Analytics.Applications;
using Sluice.Analytics.Input;
using Sluice.Hosting;

namespace Sluice.Analytics.Api;

/// <summary>What the operations work on: the catalog and the schema discovery.</summary>
public sealed class AnalyticsContext(ApplicationCatalog catalog, SchemaDiscovery discovery, SluiceSettings settings)
{
    public ApplicationCatalog Catalog { get; } = catalog;

    public SchemaDiscovery Discovery { get; } = discovery;

    public SluiceSettings Settings { get; } = settings;
}
