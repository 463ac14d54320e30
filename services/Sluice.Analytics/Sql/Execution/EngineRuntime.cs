namespace Sluice.Analytics.Sql.Execution;

/// <summary>Runs one planned application: rows in through input streams, time through AdvanceClock, state through checkpoints.</summary>
internal sealed class EngineRuntime(RuntimeGraph graph) : SqlRuntime
{
    private const int StateVersion = 1;

    private string? lastInput;
    private StreamNode? lastNode;

    /// <summary>The planned operators (tests check which plan was chosen).</summary>
    internal RuntimeGraph Graph => graph;

    public override long StateEntries
    {
        get
        {
            long n = 0;
            foreach (var op in graph.Operators)
            {
                n += op.Entries;
            }

            return n;
        }
    }

    public override void LoadReferenceTable(string name, IEnumerable<object?[]> rows)
    {
        if (!graph.Tables.TryGetValue(name, out var table))
        {
            throw new ArgumentException($"Reference table {name} is not part of this application", nameof(name));
        }

        table.Rows = [.. rows];
    }

    public override void Push(string inputStream, in SourceRow row)
    {
        // Callers push many rows to one input: the last name seen skips the lookup (and hashing the name) per row.
        var node = lastNode;
        if (!ReferenceEquals(inputStream, lastInput))
        {
            if (!graph.Streams.TryGetValue(inputStream, out node) || !graph.Inputs.Contains(node))
            {
                throw new ArgumentException($"{inputStream} is not an input stream of this application", nameof(inputStream));
            }

            lastInput = inputStream;
            lastNode = node;
        }

        var clock = graph.Clock;
        if (row.Rowtime > clock.Now)
        {
            clock.Now = row.Rowtime;
        }

        if (clock.Started == default)
        {
            clock.Started = clock.Now;
        }

        var r = new Row(row.Rowtime, row.Values)
        {
            Arrival = row.ApproximateArrivalTime,
            PartitionKey = row.PartitionKey,
            SequenceNumber = row.SequenceNumber,
            ShardId = row.ShardId,
        };
        node!.Insert(r, -1, null);
    }

    public override void ReportError(DateTime errorTime, string errorName, string message, DateTime? dataRowtime, string dataRowHex) =>
        graph.Report(errorTime, errorName, message, dataRowtime, dataRowHex, null);

    public override void AdvanceClock(DateTime utcNow)
    {
        var clock = graph.Clock;
        if (utcNow > clock.Now)
        {
            clock.Now = utcNow;
        }

        if (clock.Started == default)
        {
            clock.Started = clock.Now;
        }

        foreach (var input in graph.Inputs)
        {
            input.Advance(-1, utcNow);
        }
    }

    public override byte[] SaveState()
    {
        using var buffer = new MemoryStream();
        using (var binary = new BinaryWriter(buffer))
        {
            var writer = new StateWriter(binary);
            writer.Write(StateVersion);
            writer.Write(graph.Clock.Now);
            writer.Write(graph.Clock.Started);
            writer.Write(graph.Streams.Count);
            foreach (var stream in graph.Streams.Values)
            {
                binary.Write(stream.Name);
                stream.Save(writer);
            }

            writer.Write(graph.Operators.Count);
            foreach (var op in graph.Operators)
            {
                op.Save(writer);
            }
        }

        return buffer.ToArray();
    }

    public override void RestoreState(byte[] state)
    {
        using var binary = new BinaryReader(new MemoryStream(state));
        var reader = new StateReader(binary);
        if (reader.ReadInt() != StateVersion)
        {
            throw new InvalidDataException("Saved SQL state has an unknown version");
        }

        graph.Clock.Now = reader.ReadTime();
        graph.Clock.Started = reader.ReadTime();
        int streams = reader.ReadInt();
        for (int i = 0; i < streams; i++)
        {
            string name = binary.ReadString();
            var scratch = new StreamNode(name, null, graph);
            (graph.Streams.TryGetValue(name, out var node) ? node : scratch).Load(reader);
        }

        if (reader.ReadInt() != graph.Operators.Count)
        {
            throw new InvalidDataException("Saved SQL state belongs to a different program");
        }

        foreach (var op in graph.Operators)
        {
            op.Load(reader);
        }
    }
}
