using System.IO.Compression;

namespace Sluice.Firehose.Destinations;

/// <summary>The CompressionFormat of an S3 destination.</summary>
public enum CompressionFormat
{
    Uncompressed,
    Gzip,
    Zip,

    /// <summary>Snappy and HADOOP_SNAPPY: not implemented; objects are written uncompressed.</summary>
    Snappy,
}

/// <summary>Whole-object compression and the file extension that goes with it.</summary>
public static class ObjectCompression
{
    public static CompressionFormat Parse(string? value) => value switch
    {
        null or "" or "UNCOMPRESSED" => CompressionFormat.Uncompressed,
        "GZIP" => CompressionFormat.Gzip,
        "ZIP" => CompressionFormat.Zip,
        "Snappy" or "HADOOP_SNAPPY" => CompressionFormat.Snappy,
        _ => throw new FormatException($"CompressionFormat '{value}' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY."),
    };

    /// <summary>The extension AWS appends when FileExtension is not set.</summary>
    public static string DefaultExtension(CompressionFormat format) => format switch
    {
        CompressionFormat.Gzip => ".gz",
        CompressionFormat.Zip => ".zip",
        _ => "",
    };

    /// <summary>Writes the parts (already delimited records) as one object body.</summary>
    public static byte[] Compress(CompressionFormat format, IReadOnlyList<ReadOnlyMemory<byte>> parts, long totalBytes, string entryName, DateTimeOffset time)
    {
        switch (format)
        {
            case CompressionFormat.Gzip:
            {
                using var output = new MemoryStream((int)Math.Min(int.MaxValue, totalBytes / 4 + 64));
                using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                {
                    for (var i = 0; i < parts.Count; i++) gzip.Write(parts[i].Span);
                }

                return output.ToArray();
            }

            case CompressionFormat.Zip:
            {
                using var output = new MemoryStream((int)Math.Min(int.MaxValue, totalBytes / 4 + 256));
                using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                {
                    var entry = zip.CreateEntry(entryName, CompressionLevel.Fastest);

                    // The batch's time, not the wall clock, so a redelivery writes the same bytes.
                    entry.LastWriteTime = time;
                    using var stream = entry.Open();
                    for (var i = 0; i < parts.Count; i++) stream.Write(parts[i].Span);
                }

                return output.ToArray();
            }

            default:
            {
                var body = new byte[totalBytes];
                var at = 0;
                for (var i = 0; i < parts.Count; i++)
                {
                    parts[i].Span.CopyTo(body.AsSpan(at));
                    at += parts[i].Length;
                }

                return body;
            }
        }
    }
}
