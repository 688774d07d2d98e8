namespace AiSocial.Moderation.Models.Nsfw;

// Placeholder until the converter branch lands (wip/nsfw).
public static class KerasToOnnxConverter
{
    public static void Convert(string modelJsonPath, string weightsPath, string onnxPath) => throw new NotImplementedException();
}
