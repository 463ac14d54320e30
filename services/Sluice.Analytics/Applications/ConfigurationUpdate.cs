using System.Text.Json.Nodes;

namespace Sluice.Analytics.Applications;

/// <summary>
/// Applies the UpdateApplication "…Update" structures onto stored configuration: a member named <c>XUpdate</c> sets
/// <c>X</c>; a structure whose members are all updates merges, any other value replaces; choosing one destination or
/// source kind drops the others.
/// </summary>
public static class ConfigurationUpdate
{
    private static readonly string[][] ExclusiveKinds =
    [
        ["KinesisStreamsInput", "KinesisFirehoseInput"],
        ["KinesisStreamsOutput", "KinesisFirehoseOutput", "LambdaOutput"],
    ];

    public static void Apply(JsonObject target, JsonObject update, string idMember)
    {
        foreach (var (key, value) in update)
        {
            if (key == idMember || value is null) continue;
            // RecordColumnUpdates → RecordColumns, NamePrefixUpdate → NamePrefix.
            var name = key.EndsWith("Updates", StringComparison.Ordinal) ? key[..^"Updates".Length] + "s"
                : key.EndsWith("Update", StringComparison.Ordinal) ? key[..^"Update".Length] : key;
            foreach (var group in ExclusiveKinds)
            {
                if (Array.IndexOf(group, name) < 0) continue;
                foreach (var other in group)
                {
                    if (other != name) target.Remove(other);
                }
            }

            if (value is JsonObject obj && IsUpdate(obj))
            {
                if (target[name] is not JsonObject existing)
                {
                    existing = [];
                    target[name] = existing;
                }

                Apply(existing, obj, idMember);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static bool IsUpdate(JsonObject obj)
    {
        if (obj.Count == 0) return false;
        foreach (var (key, _) in obj)
        {
            if (!key.EndsWith("Update", StringComparison.Ordinal) && !key.EndsWith("Updates", StringComparison.Ordinal)) return false;
        }

        return true;
    }
}
