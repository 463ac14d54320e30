using Sluice.AwsProtocol;

namespace Sluice.Firehose.Catalog;

/// <summary>
/// The rules AWS applies to an S3 <c>Prefix</c> and <c>ErrorOutputPrefix</c> with <c>!{namespace:value}</c> expressions,
/// checked at CreateDeliveryStream and UpdateDestination (the evaluation lives with the delivery loop).
/// </summary>
public static class S3PrefixRules
{
    private const string ErrorOutputType = "!{firehose:error-output-type}";

    /// <summary>The expressions a prefix holds, each as (namespace, value); InvalidArgumentException when one is malformed.</summary>
    public static List<(string Namespace, string Value)> Expressions(string prefix, string field)
    {
        var found = new List<(string, string)>();
        var at = 0;
        while ((at = prefix.IndexOf("!{", at, StringComparison.Ordinal)) >= 0)
        {
            var end = prefix.IndexOf('}', at + 2);
            if (end < 0) throw AwsException.InvalidArgument($"{field} '{prefix}' has an unterminated expression at position {at}: expressions have the form !{{namespace:value}}.");
            var body = prefix.AsSpan(at + 2, end - at - 2);
            var colon = body.IndexOf(':');
            if (colon <= 0 || colon == body.Length - 1)
            {
                throw AwsException.InvalidArgument($"{field} '{prefix}' has an invalid expression '!{{{body}}}': expressions have the form !{{namespace:value}}.");
            }

            var ns = body[..colon].ToString();
            var value = body[(colon + 1)..].ToString();
            switch (ns)
            {
                case "timestamp":
                    CheckTimestampPattern(prefix, field, value);
                    break;
                case "firehose":
                    if (value is not ("random-string" or "error-output-type"))
                    {
                        throw AwsException.InvalidArgument($"{field} '{prefix}' uses an unknown firehose expression '{value}': the values are random-string and error-output-type.");
                    }

                    break;
                case "partitionKeyFromQuery" or "partitionKeyFromLambda":
                    if (value.Length > 512 || value.Trim().Length == 0) throw AwsException.InvalidArgument($"{field} '{prefix}' has an invalid partition key name '{value}'.");
                    break;
                default:
                    throw AwsException.InvalidArgument(
                        $"{field} '{prefix}' uses an unknown namespace '{ns}': the namespaces are timestamp, firehose, partitionKeyFromQuery and partitionKeyFromLambda.");
            }

            found.Add((ns, value));
            at = end + 1;
        }

        return found;
    }

    /// <summary>Checks an S3 or Extended S3 destination's prefixes (<paramref name="dynamicPartitioning"/>: DynamicPartitioningConfiguration.Enabled).</summary>
    public static void Validate(string? prefix, string? errorOutputPrefix, bool dynamicPartitioning)
    {
        var expressions = prefix is null ? [] : Expressions(prefix, "Prefix");
        var errorExpressions = errorOutputPrefix is null ? [] : Expressions(errorOutputPrefix, "ErrorOutputPrefix");
        var partitionKeys = false;
        foreach (var (ns, value) in expressions)
        {
            if (ns == "firehose" && value == "error-output-type")
            {
                throw AwsException.InvalidArgument($"The expression {ErrorOutputType} is not allowed in Prefix; use it in ErrorOutputPrefix.");
            }

            if (ns.StartsWith("partitionKey", StringComparison.Ordinal))
            {
                if (!dynamicPartitioning) throw AwsException.InvalidArgument($"Prefix uses !{{{ns}:{value}}}, which requires dynamic partitioning to be enabled.");
                partitionKeys = true;
            }
        }

        foreach (var (ns, value) in errorExpressions)
        {
            if (ns.StartsWith("partitionKey", StringComparison.Ordinal))
            {
                throw AwsException.InvalidArgument($"ErrorOutputPrefix cannot use !{{{ns}:{value}}}: partition keys are not available for failed records.");
            }
        }

        if (dynamicPartitioning)
        {
            if (string.IsNullOrEmpty(prefix)) throw AwsException.InvalidArgument("Prefix is required when dynamic partitioning is enabled.");
            if (!partitionKeys) throw AwsException.InvalidArgument("Prefix must use at least one partitionKeyFromQuery or partitionKeyFromLambda expression when dynamic partitioning is enabled.");
            if (string.IsNullOrEmpty(errorOutputPrefix)) throw AwsException.InvalidArgument("ErrorOutputPrefix is required when dynamic partitioning is enabled.");
        }

        if (expressions.Count > 0 && (string.IsNullOrEmpty(errorOutputPrefix) || !errorOutputPrefix.Contains(ErrorOutputType, StringComparison.Ordinal)))
        {
            throw AwsException.InvalidArgument($"ErrorOutputPrefix must be specified and contain {ErrorOutputType} when Prefix contains expressions.");
        }
    }

    /// <summary>Redshift's intermediate bucket: a literal Prefix and no ErrorOutputPrefix.</summary>
    public static void ValidateLiteral(string? prefix, string? errorOutputPrefix, string destination)
    {
        if (prefix is not null && prefix.Contains("!{", StringComparison.Ordinal))
        {
            throw AwsException.InvalidArgument($"Prefix of the {destination} S3 configuration cannot contain expressions.");
        }

        if (errorOutputPrefix is not null) throw AwsException.InvalidArgument($"ErrorOutputPrefix is not supported in the {destination} S3 configuration.");
    }

    // Java DateTimeFormatter: letters are pattern fields, quoted text is literal; reject letters Java does not define.
    private static void CheckTimestampPattern(string prefix, string field, string pattern)
    {
        var quoted = false;
        foreach (var c in pattern)
        {
            if (c == '\'')
            {
                quoted = !quoted;
                continue;
            }

            if (!quoted && char.IsAsciiLetter(c) && !"GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp".Contains(c, StringComparison.Ordinal))
            {
                throw AwsException.InvalidArgument($"{field} '{prefix}' has an invalid timestamp pattern '{pattern}': '{c}' is not a date-time field.");
            }
        }

        if (quoted) throw AwsException.InvalidArgument($"{field} '{prefix}' has an invalid timestamp pattern '{pattern}': a quote is not closed.");
    }
}
