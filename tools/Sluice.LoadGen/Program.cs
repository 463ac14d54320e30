using Sluice.LoadGen;

return await LoadGenCommand.Create().Parse(args).InvokeAsync();
