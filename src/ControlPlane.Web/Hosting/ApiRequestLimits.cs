using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// What one API request may cost before any handler reads it: a body no larger than its endpoint allows
/// (<see cref="DefaultBodyBytes"/> unless the endpoint says <see cref="WithBodyLimit{TBuilder}"/>), path and query
/// values of bounded length and without control characters. A refusal is thrown as a <see cref="BadHttpRequestException"/>,
/// so the <see cref="ApiFaultBarrier"/> answers it as every other bad request: a 400 or 413 problem with the reason.
/// </summary>
public static class ApiRequestLimits
{
    /// <summary>Every API body but a secret's or a stack's is a few fields of JSON.</summary>
    public const long DefaultBodyBytes = 64 * 1024;

    /// <summary>A secret's or config's value (Docker allows 500 KB) with its JSON around it.</summary>
    public const long FileObjectBodyBytes = 1024 * 1024;

    /// <summary>A Compose file with its environment files.</summary>
    public const long StackBodyBytes = 512 * 1024;

    /// <summary>An id, a name or a family in the path: longer than any Docker or ControlPlane name.</summary>
    public const int MaxPathValueLength = 256;

    /// <summary>A filter in the query string.</summary>
    public const int MaxQueryValueLength = 1024;

    /// <summary>Allows an endpoint a larger (or smaller) body than <see cref="DefaultBodyBytes"/>.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes));

    /// <summary>Checks every request under <c>/api</c> and <c>/hubs</c>; runs inside the fault barrier, after routing.</summary>
    public static IApplicationBuilder UseApiRequestLimits(this IApplicationBuilder app) =>
        app.UseWhen(http => ApiFaultBarrier.IsApi(http.Request.Path), api => api.Use((http, next) =>
        {
            Check(http);
            return next(http);
        }));

    private static void Check(HttpContext http)
    {
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? DefaultBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"The request body is {http.Request.ContentLength} bytes; this endpoint takes at most {limit}.", StatusCodes.Status413PayloadTooLarge);
        }
        // A body without a length (chunked) is cut off by the server at the same size.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is string text)
            {
                Refuse($"The {name} in the path", text, MaxPathValueLength);
            }
        }
        foreach (var (name, values) in http.Request.Query)
        {
            foreach (var value in values)
            {
                Refuse($"The query parameter '{name}'", value ?? "", MaxQueryValueLength);
            }
        }
    }

    private static void Refuse(string what, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            throw new BadHttpRequestException($"{what} is {value.Length} characters long; at most {maxLength} are allowed.");
        }
        if (value.Any(char.IsControl))
        {
            throw new BadHttpRequestException($"{what} contains a control character.");
        }
    }

    private sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}
