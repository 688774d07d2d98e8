using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using AiSocial.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace AiSocial.ServiceDefaults;

/// <summary>
/// Checks every text a request brings in — route values, query strings, headers bound to parameters, JSON bodies and
/// form fields, now and in endpoints added later — against <see cref="TextRules"/> before a handler sees it, and
/// refuses a form that sends a field twice. A refusal is a validation problem naming the field.
/// </summary>
public static class TextInput
{
    /// <summary>Checks the text input of every endpoint in the group (or of the one endpoint).</summary>
    public static TBuilder CheckTextInput<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((context, next) =>
        {
            var isService = context.ApplicationServices.GetService<IServiceProviderIsService>();
            var inputs = context.MethodInfo.GetParameters()
                .Select((parameter, index) => (Index: index, Reader: InputReader.For(parameter, isService)))
                .Where(p => p.Reader is not null)
                .ToList();
            var readsForm = context.MethodInfo.GetParameters().Any(p => p.GetCustomAttribute<FromFormAttribute>() is not null);
            if (inputs.Count == 0 && !readsForm)
            {
                return next;
            }

            return async invocation =>
            {
                var errors = new ValidationErrors();
                foreach (var (index, reader) in inputs)
                {
                    reader!.Check(invocation.Arguments[index], errors);
                }

                if (readsForm && invocation.HttpContext.Request.HasFormContentType)
                {
                    var form = await invocation.HttpContext.Request.ReadFormAsync(invocation.HttpContext.RequestAborted);
                    foreach (var (name, values) in form.Where(f => f.Value.Count > 1))
                    {
                        errors.Add(name, $"'{name}' was sent {values.Count} times; send each field once.");
                    }

                    foreach (var name in form.Files.GroupBy(f => f.Name).Where(g => g.Count() > 1).Select(g => g.Key))
                    {
                        errors.Add(name, $"'{name}' was sent {form.Files.GetFiles(name).Count} times; attach one file.");
                    }
                }

                return errors.ToRefusal() is { } refusal ? new BadRequestProblem(refusal) : await next(invocation);
            };
        });

    /// <summary>How to find the text in one handler parameter: the value itself, or the text properties of a request record.</summary>
    private sealed class InputReader(string name, bool multiLine, IReadOnlyList<(PropertyInfo Property, string Name, bool MultiLine)> properties)
    {
        private static readonly ConcurrentDictionary<Type, IReadOnlyList<(PropertyInfo, string, bool)>> TextProperties = new();

        public static InputReader? For(ParameterInfo parameter, IServiceProviderIsService? isService)
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            var multiLine = parameter.GetCustomAttribute<MultiLineTextAttribute>() is not null;
            if (type == typeof(string))
            {
                return new InputReader(BoundName(parameter), multiLine, []);
            }

            if (!type.IsClass || type.Namespace?.StartsWith("AiSocial.", StringComparison.Ordinal) != true || isService?.IsService(type) == true)
            {
                return null; // framework types (HttpContext, ClaimsPrincipal, IFormFile, …) and services carry no request text
            }

            var texts = TextProperties.GetOrAdd(type, static t => [.. t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.PropertyType == typeof(string) && p.CanRead)
                .Select(p => (p, JsonName(p), p.GetCustomAttribute<MultiLineTextAttribute>() is not null
                    || t.GetConstructors().SelectMany(c => c.GetParameters()).Any(c => c.Name == p.Name && c.GetCustomAttribute<MultiLineTextAttribute>() is not null)))]);
            return texts.Count == 0 ? null : new InputReader(parameter.Name!, multiLine, texts);
        }

        public void Check(object? value, ValidationErrors errors)
        {
            if (value is string text)
            {
                Add(errors, name, text, multiLine);
                return;
            }

            foreach (var (property, field, lines) in properties)
            {
                if (value is not null && property.GetValue(value) is string member)
                {
                    Add(errors, field, member, lines);
                }
            }
        }

        private static void Add(ValidationErrors errors, string field, string text, bool multiLine)
        {
            if (TextRules.Problem(text, multiLine) is { } problem)
            {
                errors.Add(field, $"'{field}' {problem}.");
            }
        }

        /// <summary>The name the client sent the value under (a header's, a query or form field's), not the C# parameter's.</summary>
        private static string BoundName(ParameterInfo parameter) =>
            parameter.GetCustomAttributes(inherit: true).Select(attribute => attribute switch
            {
                IFromHeaderMetadata header => header.Name,
                IFromQueryMetadata query => query.Name,
                IFromFormMetadata form => form.Name,
                IFromRouteMetadata route => route.Name,
                _ => null,
            }).FirstOrDefault(name => !string.IsNullOrEmpty(name)) ?? parameter.Name!;

        private static string JsonName(PropertyInfo property) =>
            property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
    }
}
