using System.Runtime.CompilerServices;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>How a flat aggregate folds rows into its cells of a group's state.</summary>
internal enum FlatKind
{
    CountAll,
    CountValue,
    LongSum,
    DoubleMoments,
    LongMin,
    LongMax,
    DoubleMin,
    DoubleMax,
}

/// <summary>
/// COUNT/SUM/AVG/MIN/MAX/VAR/STDDEV kept as a few 64-bit cells of a group's slice of one long[] (no accumulator object per group).
/// Cells: count [n]; long sum [sum, n]; double moments [sum, squares, n]; min/max [value, flags] (flag 1 = has a value, 2 = saw a row).
/// Results, saved bytes and NULL handling are those of the matching <see cref="Accumulator"/>, so both paths agree.
/// </summary>
internal sealed class FlatAggregate
{
    private const long HasValue = 1, Seen = 2;

    private FlatAggregate(FlatKind kind, string function, int cells)
    {
        Kind = kind;
        Function = function;
        Cells = cells;
    }

    public FlatKind Kind { get; }

    public string Function { get; }

    /// <summary>How many cells of the group's state this aggregate uses.</summary>
    public int Cells { get; }

    /// <summary>Where its cells start within a group's slice; set by the operator laying out the state.</summary>
    public int Offset { get; set; }

    private Func<Row, object?>? Value { get; init; }

    private Func<Row, long?>? Longs { get; init; }

    private Func<Row, double?>? Doubles { get; init; }

    public static FlatAggregate Count(Func<Row, object?>? argument) =>
        new(argument is null ? FlatKind.CountAll : FlatKind.CountValue, "COUNT", 1) { Value = argument };

    public static FlatAggregate LongSum(string function, Func<Row, long?> argument) => new(FlatKind.LongSum, function, 2) { Longs = argument };

    public static FlatAggregate DoubleMoments(string function, Func<Row, double?> argument) => new(FlatKind.DoubleMoments, function, 3) { Doubles = argument };

    public static FlatAggregate LongPick(string function, Func<Row, long?> argument) =>
        new(function == "MIN" ? FlatKind.LongMin : FlatKind.LongMax, function, 2) { Longs = argument };

    public static FlatAggregate DoublePick(string function, Func<Row, double?> argument) =>
        new(function == "MIN" ? FlatKind.DoubleMin : FlatKind.DoubleMax, function, 2) { Doubles = argument };

    public void Add(Row row, long[] state, int at)
    {
        int c = at + Offset;
        switch (Kind)
        {
            case FlatKind.CountAll:
                state[c]++;
                break;
            case FlatKind.CountValue:
                if (Value!(row) is not null)
                {
                    state[c]++;
                }

                break;
            case FlatKind.LongSum:
                if (Longs!(row) is { } l)
                {
                    state[c] += l;
                    state[c + 1]++;
                }

                break;
            case FlatKind.DoubleMoments:
                if (Doubles!(row) is { } d)
                {
                    AsDouble(ref state[c]) += d;
                    AsDouble(ref state[c + 1]) += d * d;
                    state[c + 2]++;
                }

                break;
            case FlatKind.LongMin or FlatKind.LongMax:
                if (Longs!(row) is { } v && ((state[c + 1] & HasValue) == 0 || (Kind == FlatKind.LongMin ? v < state[c] : v > state[c])))
                {
                    state[c] = v;
                    state[c + 1] |= HasValue;
                }

                state[c + 1] |= Seen;
                break;
            default:
                // double.CompareTo, as PickAccumulator's IComparable compare (NaN sorts first).
                if (Doubles!(row) is { } x && ((state[c + 1] & HasValue) == 0 || (x.CompareTo(AsDouble(ref state[c])) is var order && (Kind == FlatKind.DoubleMin ? order < 0 : order > 0))))
                {
                    AsDouble(ref state[c]) = x;
                    state[c + 1] |= HasValue;
                }

                state[c + 1] |= Seen;
                break;
        }
    }

    public object? Result(long[] state, int at)
    {
        int c = at + Offset;
        return Kind switch
        {
            FlatKind.CountAll or FlatKind.CountValue => state[c],
            FlatKind.LongSum => LongSumAccumulator.ResultOf(state[c], state[c + 1], Function == "AVG"),
            FlatKind.DoubleMoments => DoubleMomentsAccumulator.ResultOf(Function, AsDouble(ref state[c]), AsDouble(ref state[c + 1]), state[c + 2]),
            FlatKind.LongMin or FlatKind.LongMax => (state[c + 1] & HasValue) == 0 ? null : state[c],
            _ => (state[c + 1] & HasValue) == 0 ? null : AsDouble(ref state[c]),
        };
    }

    /// <summary>Writes what the matching accumulator's Save writes.</summary>
    public void Save(StateWriter writer, long[] state, int at)
    {
        int c = at + Offset;
        switch (Kind)
        {
            case FlatKind.CountAll or FlatKind.CountValue:
                writer.Write(state[c]);
                break;
            case FlatKind.LongSum:
                writer.Write(state[c]);
                writer.Write(state[c + 1]);
                break;
            case FlatKind.DoubleMoments:
                writer.Write(AsDouble(ref state[c]));
                writer.Write(AsDouble(ref state[c + 1]));
                writer.Write(state[c + 2]);
                break;
            default:
                writer.WriteValue(Result(state, at));
                writer.Write((state[c + 1] & Seen) != 0);
                break;
        }
    }

    public void Load(StateReader reader, long[] state, int at)
    {
        int c = at + Offset;
        switch (Kind)
        {
            case FlatKind.CountAll or FlatKind.CountValue:
                state[c] = reader.ReadLong();
                break;
            case FlatKind.LongSum:
                state[c] = reader.ReadLong();
                state[c + 1] = reader.ReadLong();
                break;
            case FlatKind.DoubleMoments:
                AsDouble(ref state[c]) = reader.ReadDouble();
                AsDouble(ref state[c + 1]) = reader.ReadDouble();
                state[c + 2] = reader.ReadLong();
                break;
            default:
                var value = reader.ReadValue();
                long flags = reader.ReadBool() ? Seen : 0;
                switch (value)
                {
                    case null:
                        break;
                    case long l when Kind is FlatKind.LongMin or FlatKind.LongMax:
                        state[c] = l;
                        flags |= HasValue;
                        break;
                    case double d when Kind is FlatKind.DoubleMin or FlatKind.DoubleMax:
                        AsDouble(ref state[c]) = d;
                        flags |= HasValue;
                        break;
                    default:
                        throw new InvalidDataException($"Saved {Function} state holds a {value.GetType().Name}");
                }

                state[c + 1] = flags;
                break;
        }
    }

    private static ref double AsDouble(ref long cell) => ref Unsafe.As<long, double>(ref cell);
}
