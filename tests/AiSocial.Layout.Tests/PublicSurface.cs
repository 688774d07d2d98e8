using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace AiSocial.Layout.Tests;

/// <summary>A module's public top-level types, and which of them its public signatures show, read from its assembly's metadata.</summary>
internal sealed class PublicSurface
{
    private readonly Dictionary<string, ImmutableArray<string>> _shows = new(StringComparer.Ordinal);

    private PublicSurface(IReadOnlyList<PublicType> types) => Types = types;

    public IReadOnlyList<PublicType> Types { get; }

    public static PublicSurface Read(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var metadata = pe.GetMetadataReader();
        var types = new List<PublicType>();
        var shows = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        var provider = new SignatureTypes(metadata);
        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            var name = metadata.GetString(type.Name);
            // Top-level public types, not the compiler's own (<Module>, generated regexes and the like).
            if (type.GetDeclaringType() is { IsNil: false } || (type.Attributes & TypeAttributes.VisibilityMask) != TypeAttributes.Public
                || name.Contains('<', StringComparison.Ordinal))
            {
                continue;
            }

            var fullName = $"{metadata.GetString(type.Namespace)}.{name}";
            var fields = type.GetFields().Select(metadata.GetFieldDefinition).Where(f => IsVisible(f.Attributes)).ToList();
            types.Add(new PublicType(fullName, name, fields.Any(f => (f.Attributes & FieldAttributes.Literal) != 0)));

            var shown = new List<string>();
            if (!type.BaseType.IsNil)
            {
                shown.AddRange(provider.Of(type.BaseType));
            }

            shown.AddRange(type.GetInterfaceImplementations().SelectMany(i => provider.Of(metadata.GetInterfaceImplementation(i).Interface)));
            shown.AddRange(fields.SelectMany(f => f.DecodeSignature(provider, null)));
            var methods = type.GetMethods().Select(metadata.GetMethodDefinition).Where(m => IsVisible(m.Attributes)).ToList();
            shown.AddRange(methods.SelectMany(m => m.DecodeSignature(provider, null) is var signature
                ? signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p))
                : []));
            shows[fullName] = [.. shown.Distinct()];
        }

        var surface = new PublicSurface(types);
        foreach (var (name, shown) in shows)
        {
            surface._shows[name] = shown;
        }

        return surface;
    }

    /// <summary>The given types and every type of this module their public signatures show, transitively.</summary>
    public HashSet<string> Closure(IEnumerable<string> used)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(used);
        while (pending.TryDequeue(out var name))
        {
            if (closure.Add(name))
            {
                foreach (var shown in _shows.GetValueOrDefault(name, []))
                {
                    pending.Enqueue(shown);
                }
            }
        }

        return closure;
    }

    private static bool IsVisible(FieldAttributes attributes) =>
        (attributes & FieldAttributes.FieldAccessMask) is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem;

    private static bool IsVisible(MethodAttributes attributes) =>
        (attributes & MethodAttributes.MemberAccessMask) is MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem;

    /// <summary>Decodes a signature into the top-level types of this module it names.</summary>
    private sealed class SignatureTypes(MetadataReader metadata) : ISignatureTypeProvider<ImmutableArray<string>, object?>
    {
        public ImmutableArray<string> Of(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => GetTypeFromDefinition(metadata, (TypeDefinitionHandle)handle, 0),
            HandleKind.TypeSpecification => GetTypeFromSpecification(metadata, null, (TypeSpecificationHandle)handle, 0),
            _ => [],
        };

        public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeDefinition(handle);
            while (type.GetDeclaringType() is { IsNil: false } declaring)
            {
                type = reader.GetTypeDefinition(declaring);
            }

            return [$"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}"];
        }

        public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];

        public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [];

        public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];

        public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;

        public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;

        public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;

        public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;

        public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;

        public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;

        public ImmutableArray<string> GetGenericTypeParameter(object? genericContext, int index) => [];

        public ImmutableArray<string> GetGenericMethodParameter(object? genericContext, int index) => [];

        public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
    }
}

internal sealed record PublicType(string FullName, string Name, bool HasPublicConstants);
