using System.Security.Cryptography;

namespace AiSocial.SafetyModels.Tests;

public sealed class ModelManifestTests
{
    [Fact]
    public void A_model_file_is_hashed_again_only_when_its_size_or_modification_time_changes()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("aisocial-hash-").FullName, "model.onnx");
        try
        {
            byte[] first = [1, 2, 3, 4], second = [9, 8, 7, 6];
            File.WriteAllBytes(file, first);
            var hashed = ModelManifest.Sha256Of(file);
            var written = File.GetLastWriteTimeUtc(file);

            // Other bytes behind the same size and time: the hash is not computed again (the Models page opens in
            // milliseconds), which is also why changing a model file without touching its time is not enough.
            File.WriteAllBytes(file, second);
            File.SetLastWriteTimeUtc(file, written);
            var unchanged = ModelManifest.Sha256Of(file);
            File.SetLastWriteTimeUtc(file, written.AddSeconds(1));
            var touched = ModelManifest.Sha256Of(file);

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(first)), hashed);
            Assert.Equal(hashed, unchanged);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(second)), touched);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }
}
