using System.Reflection;
using Sluice.Analytics.Sql.Functions;

namespace Sluice.Analytics.Sql.Planning;

/// <summary>Scalar functions by name: the [SqlFunction] methods of this assembly, bound by name, arity and argument types.</summary>
internal static class FunctionCatalog
{
    private static readonly Dictionary<string, List<MethodInfo>> Attributed = Collect();

    private static Dictionary<string, List<MethodInfo>> Collect()
    {
        var byName = new Dictionary<string, List<MethodInfo>>(StringComparer.Ordinal);
        foreach (var type in typeof(FunctionCatalog).Assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static))
            {
                foreach (var attribute in method.GetCustomAttributes<SqlFunctionAttribute>())
                {
                    string name = attribute.Name.ToUpperInvariant();
                    if (!byName.TryGetValue(name, out var list))
                    {
                        byName[name] = list = [];
                    }

                    list.Add(method);
                }
            }
        }

        return byName;
    }

    public static bool Exists(string name) => Attributed.ContainsKey(name);

    /// <summary>The best overload for the argument types (null = NULL literal), or null.</summary>
    public static MethodInfo? Resolve(string name, IReadOnlyList<Type?> argumentTypes) =>
        Attributed.TryGetValue(name, out var methods) ? Best(methods, argumentTypes) : null;

    /// <summary>The cheapest applicable overload among <paramref name="candidates"/>.</summary>
    public static MethodInfo? Best(IEnumerable<MethodInfo> candidates, IReadOnlyList<Type?> argumentTypes)
    {
        MethodInfo? best = null;
        int bestCost = int.MaxValue;
        foreach (var method in candidates)
        {
            var parameters = method.GetParameters();
            if (parameters.Length != argumentTypes.Count)
            {
                continue;
            }

            int cost = 0;
            for (int i = 0; i < parameters.Length && cost < int.MaxValue; i++)
            {
                int c = ConversionCost(argumentTypes[i], parameters[i].ParameterType);
                cost = c < 0 ? int.MaxValue : cost + c;
            }

            if (cost < bestCost)
            {
                best = method;
                bestCost = cost;
            }
        }

        return best;
    }

    private static int ConversionCost(Type? from, Type to)
    {
        if (from is null)
        {
            return !to.IsValueType || Nullable.GetUnderlyingType(to) is not null ? 1 : -1;
        }

        if (from == to)
        {
            return 0;
        }

        if (to == typeof(object))
        {
            return 8;
        }

        if (from == typeof(long?) && to == typeof(decimal?))
        {
            return 2;
        }

        if (from == typeof(long?) && to == typeof(double?))
        {
            return 3;
        }

        if (from == typeof(decimal?) && to == typeof(double?))
        {
            return 3;
        }

        if (from == typeof(int?) && to == typeof(long?))
        {
            return 2;
        }

        return -1;
    }

    public static SqlType TypeOf(Type clr) => clr switch
    {
        _ when clr == typeof(long?) || clr == typeof(long) || clr == typeof(int) => new SqlType(SqlTypeKind.BigInt),
        _ when clr == typeof(double?) || clr == typeof(double) => new SqlType(SqlTypeKind.Double),
        _ when clr == typeof(decimal?) || clr == typeof(decimal) => new SqlType(SqlTypeKind.Decimal, Precision: 19, Scale: 6),
        _ when clr == typeof(bool?) || clr == typeof(bool) => new SqlType(SqlTypeKind.Boolean),
        _ when clr == typeof(DateTime?) || clr == typeof(DateTime) => new SqlType(SqlTypeKind.Timestamp),
        _ when clr == typeof(TimeSpan?) || clr == typeof(TimeSpan) => new SqlType(SqlTypeKind.IntervalDayToSecond),
        _ when clr == typeof(int?) => new SqlType(SqlTypeKind.IntervalYearToMonth),
        _ when clr == typeof(byte[]) => new SqlType(SqlTypeKind.Varbinary, Length: 65534),
        _ => new SqlType(SqlTypeKind.Varchar, Length: 65534),
    };
}
