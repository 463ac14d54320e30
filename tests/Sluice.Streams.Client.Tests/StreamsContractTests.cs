using Google.Protobuf;
using NUnit.Framework;
using Sluice.Grpc;
using Sluice.Streams.V1;

namespace Sluice.Streams.Client.Tests;

/// <summary>The call descriptors and messages of sluice.streams.v1.Streams, without a server.</summary>
public class StreamsContractTests
{
    [Test]
    public void Every_call_is_named_as_the_proto_declares_it()
    {
        var service = Sluice.Streams.V1.StreamsReflection.Descriptor.Services.Single(s => s.Name == "Streams");
        var descriptors = new (string FullName, MethodType Type)[]
        {
            (StreamsMethods.PutRecords.FullName, StreamsMethods.PutRecords.Type),
            (StreamsMethods.GetRecords.FullName, StreamsMethods.GetRecords.Type),
            (StreamsMethods.Subscribe.FullName, StreamsMethods.Subscribe.Type),
            (StreamsMethods.ListShards.FullName, StreamsMethods.ListShards.Type),
            (StreamsMethods.DescribeStream.FullName, StreamsMethods.DescribeStream.Type),
            (StreamsMethods.CreateStream.FullName, StreamsMethods.CreateStream.Type),
            (StreamsMethods.DeleteStream.FullName, StreamsMethods.DeleteStream.Type),
            (StreamsMethods.TakeLeases.FullName, StreamsMethods.TakeLeases.Type),
            (StreamsMethods.RenewLease.FullName, StreamsMethods.RenewLease.Type),
            (StreamsMethods.Checkpoint.FullName, StreamsMethods.Checkpoint.Type),
            (StreamsMethods.ReleaseLease.FullName, StreamsMethods.ReleaseLease.Type),
            (StreamsMethods.ListLeases.FullName, StreamsMethods.ListLeases.Type),
        };

        var declared = service.Methods.Select(m => ("/" + service.FullName + "/" + m.Name, m.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary));
        Assert.That(descriptors, Is.EquivalentTo(declared));
    }

    [Test]
    public void A_subscribe_event_survives_the_marshaller_round_trip()
    {
        var push = new SubscribeEvent { ContinuationSequenceNumber = "49590338271490256608559692538361571095921575989136588898", MillisBehindLatest = 12 };
        push.Records.Add(new Record { SequenceNumber = "1", PartitionKey = "k", Data = ByteString.CopyFromUtf8("hello"), ApproximateArrivalTimestampMs = 1_700_000_000_000 });
        push.ChildShards.Add(new ChildShard { ShardId = "shardId-000000000001", ParentShardIds = { "shardId-000000000000" } });

        var marshaller = StreamsMethods.Subscribe.ResponseMarshaller;
        var back = marshaller.Deserializer(marshaller.Serializer(push));

        Assert.That(back, Is.EqualTo(push));
    }

    [Test]
    public void Leases_are_renewed_three_times_per_lease_duration_unless_configured()
    {
        var defaults = new StreamConsumerOptions { StreamName = "s", ConsumerGroup = "g", LeaseDuration = TimeSpan.FromSeconds(9) };
        var configured = new StreamConsumerOptions { StreamName = "s", ConsumerGroup = "g", RenewInterval = TimeSpan.FromSeconds(1) };

        Assert.That(defaults.Renewal, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(configured.Renewal, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(new StreamConsumerOptions { StreamName = "s", ConsumerGroup = "g" }.WorkerId, Is.Not.EqualTo(defaults.WorkerId), "each worker gets its own id");
    }
}
