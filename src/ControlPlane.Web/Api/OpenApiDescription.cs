using System.Text.Json;
using ControlPlane.Web.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace ControlPlane.Web.Api;

/// <summary>
/// <c>/openapi/v1.json</c> as clients are generated from it (issue 16). What every operation shares is said here once,
/// from the endpoint's own metadata, so a new endpoint is described without anyone remembering to: who may call it
/// (<see cref="IAuthorizeData"/> without <see cref="IAllowAnonymous"/>: the three sign-ins, and 401), the answers the
/// pipeline gives before the handler runs (429 from the rate limiter, 400 and 413 for a body, 403 from the cross-origin
/// check) as problem details, and request examples (<see cref="WithRequestExample{TBuilder}"/>). What is the
/// endpoint's own (name, summary, its success type, the problems its handler returns) is on the endpoint.
/// </summary>
public static class OpenApiDescription
{
    public const string CookieScheme = "cookie";
    public const string ApiTokenScheme = "apiToken";
    public const string EntraScheme = "entraBearer";

    private const string ProblemSchema = "ProblemDetails";
    private const string ProblemJson = "application/problem+json";

    /// <summary>The descriptions of the tags endpoints use (Redocly's <c>tag-description</c>).</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Account"] = "Signing in and out with a local account, changing its password, ending its sessions.",
        ["Clusters"] = "The clusters and what ControlPlane knows of them (nodes, services, tasks, containers, images, networks, secrets, configs), from memory.",
        ["Changes"] = "Scaling services and setting node availability, through the change gate.",
        ["Workloads"] = "Services created, edited, restarted and removed; node roles, labels and removal; the swarm's join tokens.",
        ["Images"] = "Rollouts, rollbacks, waves and image distribution (operations), and a service's rollout history and drift.",
        ["Operations"] = "Long-running changes: follow one by id, list them, cancel one.",
        ["Secrets and configs"] = "Secret and config families: create, adopt, rotate, inject, detach, remove; config data and diffs.",
        ["Stacks"] = "Stacks from Compose files: preview, deploy, redeploy, remove, and their history.",
        ["Logs"] = "Service and container logs as text downloads.",
        ["Users"] = "Local user accounts (Admin).",
        ["Grants"] = "Roles given to users and groups on a cluster or a stack (Admin).",
        ["Tokens"] = "The caller's own API tokens (cpt_…) for automation.",
        ["Audit"] = "The tamper-evident audit log: query, export, verify.",
        ["Client bundles"] = "The caller's own client certificates for the docker CLI through ControlPlane's Docker API endpoint.",
    };

    public static IServiceCollection AddControlPlaneOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocumentAsync);
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddSchemaTransformer(DescribeValueListAsync);
        });

    /// <summary>An example body for the endpoint's request, as a client would send it (serialized with the app's own JSON settings).</summary>
    public static TBuilder WithRequestExample<TBuilder>(this TBuilder builder, object example) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestExample(example));

    /// <summary>The problems a change through the gate answers with (<see cref="ChangeEndpoints.Answer"/>).</summary>
    public static TBuilder ProducesChangeProblems<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in new[] { 400, 403, 404, 409, 502, 503 })
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemJson]));
        }
        return builder;
    }

    /// <summary>"secrets" as "Secrets", for operation ids of endpoints mapped once per kind.</summary>
    public static string Pascal(string word) => string.Concat(char.ToUpperInvariant(word[0]).ToString(), word[1..]);

    private sealed record RequestExample(object Value);

    private static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "ControlPlane API";
        document.Info.Description = "Docker Swarm clusters as ControlPlane sees and changes them. JSON, camelCase; errors are RFC 9457 problem details. " +
            "Every operation but signing in and out needs a signed-in caller: the sign-in cookie, an API token or, where Entra ID is configured, an Entra access token.";
        // The server is where this document was fetched from; a trailing slash would double the one every path starts with.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[CookieScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = AuthenticationSetup.CookieName,
            Description = "The session cookie POST /api/auth/login sets. Unsafe methods from a browser must come from ControlPlane's own origin.",
        };
        document.Components.SecuritySchemes[ApiTokenScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "cpt_…",
            Description = "An API token (Authorization: Bearer cpt_…) a signed-in user created for themselves with POST /api/tokens; it acts with that user's grants.",
        };
        document.Components.SecuritySchemes[EntraScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A Microsoft Entra ID access token for ControlPlane's app registration, where the AzureAd settings are configured; app roles and grants decide what it may do.",
        };

        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).OfType<string>().ToHashSet();
        document.Tags = new HashSet<OpenApiTag>(used.Order().Select(name => new OpenApiTag
        {
            Name = name,
            Description = TagDescriptions.GetValueOrDefault(name),
        }));
        return Task.CompletedTask;
    }

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var method = context.Description.HttpMethod ?? "GET";
        var problems = new SortedSet<int>();

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [.. new[] { CookieScheme, ApiTokenScheme, EntraScheme }.Select(scheme =>
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] })];
            problems.Add(StatusCodes.Status401Unauthorized);
        }
        else
        {
            // Said explicitly: anyone may call it (an empty requirement), rather than left for a reader to guess.
            operation.Security = [new OpenApiSecurityRequirement()];
        }
        if (!HttpMethods.IsGet(method))
        {
            // The cross-origin check (CrossOriginProtection) refuses a browser's unsafe call from another origin, signed in or not.
            problems.Add(StatusCodes.Status403Forbidden);
        }
        // The global rate limiter (RequestLimits) answers 429 to any caller over their rate, on every endpoint.
        problems.Add(StatusCodes.Status429TooManyRequests);
        if (operation.RequestBody is not null)
        {
            // A body that is not the JSON described is refused before the handler runs; so is one over the endpoint's size.
            problems.Add(StatusCodes.Status400BadRequest);
            problems.Add(StatusCodes.Status413PayloadTooLarge);
        }
        if (context.Description.ParameterDescriptions.Any(p => p.Type is { } t && t != typeof(string) && p.Source.Id is "Path" or "Query"))
        {
            // A path or query value that does not parse as its type.
            problems.Add(StatusCodes.Status400BadRequest);
        }

        operation.Responses ??= new OpenApiResponses();
        var problemSchema = await ProblemSchemaAsync(context, ct);
        foreach (var status in problems)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.ContainsKey(key))
            {
                operation.Responses[key] = new OpenApiResponse { Description = ReasonOf(status) };
            }
        }
        // Every 4xx and 5xx is a problem: declared by the endpoint or added above, each carries the one schema.
        foreach (var (key, response) in operation.Responses)
        {
            if (key.Length == 3 && key[0] is '4' or '5' && response is OpenApiResponse concrete)
            {
                concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
                concrete.Content.Clear();
                concrete.Content[ProblemJson] = new OpenApiMediaType { Schema = problemSchema };
                if (string.IsNullOrEmpty(concrete.Description) || concrete.Description == "OK")
                {
                    concrete.Description = ReasonOf(int.Parse(key, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        // In status order, as a reader looks for them (the endpoint's own and the shared ones were added apart).
        var ordered = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (key, response) in ordered)
        {
            operation.Responses[key] = response;
        }

        if (metadata.OfType<RequestExample>().LastOrDefault() is { } example && operation.RequestBody?.Content is { } content)
        {
            var json = context.ApplicationServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            foreach (var media in content.Values)
            {
                media.Example = JsonSerializer.SerializeToNode(example.Value, example.Value.GetType(), json);
            }
        }
    }

    /// <summary>
    /// <see cref="Core.Model.ValueList{T}"/> is written as a plain JSON array by its own converter, which the schema
    /// generator cannot see into (it would describe it as anything): it is described as the array of T it is.
    /// </summary>
    private static async Task DescribeValueListAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Core.Model.ValueList<>))
        {
            schema.Type = JsonSchemaType.Array;
            schema.Items = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, ct);
        }
    }

    private static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document!;
        if (document.Components?.Schemas?.ContainsKey(ProblemSchema) != true)
        {
            document.AddComponent(ProblemSchema, await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, ct));
        }
        return new OpenApiSchemaReference(ProblemSchema, document);
    }

    private static string ReasonOf(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } reason ? reason : $"HTTP {status}";
}
