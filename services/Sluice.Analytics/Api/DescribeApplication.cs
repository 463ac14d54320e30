using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>DescribeApplication: the whole ApplicationDetail.</summary>
internal static class DescribeApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("DescribeApplication",
        new StructureShape().Required("ApplicationName", Shapes.ApplicationName),
        (req, w, ct) =>
        {
            ApplicationDetail.Write(w, ctx.Catalog, ctx.Catalog.Get(req.Body.Str("ApplicationName")!));
            return ValueTask.CompletedTask;
        });
}
