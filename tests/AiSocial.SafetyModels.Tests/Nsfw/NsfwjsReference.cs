using System.Runtime.InteropServices;
using AiSocial.Testing;

namespace AiSocial.SafetyModels.Tests.Nsfw;

/// <summary>
/// nsfwjs and TensorFlow.js in Node (tools/models/nsfwjs-reference.cjs and unpack-nsfwjs.cjs), from the npm packages
/// <c>./aisocial</c> installs: the independent reference the converted model and its preprocessing must match.
/// </summary>
public static class NsfwjsReference
{
    private static string NodeModules => NodeTools.NodeModules;

    /// <summary>Unpacks nsfwjs's model modules into <paramref name="directory"/>: model.json and weights.bin.</summary>
    public static Task UnpackAsync(string directory) => RunScriptAsync("unpack-nsfwjs.cjs", [NodeModules, directory]);

    /// <summary>Runs nsfwjs-reference.cjs with the given jobs (--tensors, --pixels, --keras and their files).</summary>
    public static Task RunAsync(params string[] jobs) => RunScriptAsync("nsfwjs-reference.cjs", [NodeModules, .. jobs]);

    public static void WriteFloats(string path, ReadOnlySpan<float> values) => File.WriteAllBytes(path, MemoryMarshal.AsBytes(values).ToArray());

    public static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    private static Task RunScriptAsync(string script, IEnumerable<string> arguments) =>
        NodeTools.RunAsync(script, [Path.Combine(RepositoryRoot.Path, "tools", "models", script), .. arguments]);
}
