namespace Sluice.LoadGen.Wire;

/// <summary>X-Amz-Target values of the Kinesis operations the generator calls.</summary>
internal static class KinesisTarget
{
    private const string Prefix = "Kinesis_20131202.";

    public const string CreateStream = Prefix + "CreateStream";
    public const string DeleteStream = Prefix + "DeleteStream";
    public const string DescribeStreamSummary = Prefix + "DescribeStreamSummary";
    public const string ListShards = Prefix + "ListShards";
    public const string PutRecord = Prefix + "PutRecord";
    public const string PutRecords = Prefix + "PutRecords";
    public const string GetShardIterator = Prefix + "GetShardIterator";
    public const string GetRecords = Prefix + "GetRecords";
}
