namespace AiSocial.Testing;

public static class RepositoryRoot
{
    /// <summary>The checkout's root, found by walking up from the test binaries to AiSocial.sln.</summary>
    public static string Path
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(directory.FullName, "AiSocial.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("AiSocial.sln not found above the test binaries.");
        }
    }
}
