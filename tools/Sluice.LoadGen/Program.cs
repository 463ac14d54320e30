using System.CommandLine;
using Sluice.LoadGen;

ParseResult parsed = LoadGenCommand.Create().Parse(args);
if (parsed.Errors.Count > 0)
{
    // Exit 1 is reserved for a failed verification; the errors name the option and its range.
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    return LoadGenRun.RunFailed;
}

return await parsed.InvokeAsync();
