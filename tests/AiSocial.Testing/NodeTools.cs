namespace AiSocial.Testing;

/// <summary>The npm packages <c>./aisocial</c> installs (DuckDB, nsfwjs, tfjs): AISOCIAL_NODE_MODULES, else the checkout's .tools/.</summary>
public static class NodeTools
{
    public static string NodeModules
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("AISOCIAL_NODE_MODULES");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            var installed = Path.Combine(RepositoryRoot.Path, ".tools", "node_modules");
            return Directory.Exists(installed)
                ? installed
                : throw new InvalidOperationException("The project's npm packages are not installed: run the tests with ./aisocial test.");
        }
    }
}
