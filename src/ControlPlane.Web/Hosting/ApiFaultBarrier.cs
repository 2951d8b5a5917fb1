using System.Diagnostics;
using ControlPlane.Core.Changes;
using Microsoft.AspNetCore.Http.Metadata;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// The one place an exception under <c>/api</c> or <c>/hubs</c> becomes an answer: a problem-details response
/// (never the HTML error page) carrying a correlation id, logged once with the same id. Engine failures are
/// answered as what they mean for the caller (<see cref="IEngineFaults"/>); a request ControlPlane could not read
/// is a 400 or 413 with the reason.
/// </summary>
public static class ApiFaultBarrier
{
    public static IServiceCollection AddApiFaultBarrier(this IServiceCollection services)
    {
        // Binding failures (malformed JSON, a number that is not one) become exceptions the barrier answers with the
        // reason, instead of an empty 400 in production and an exception page in development.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    public static IApplicationBuilder UseApiFaultBarrier(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            try
            {
                if (http.Request.Path.StartsWithSegments("/hubs"))
                {
                    await HubRefusals.RunAsync(http, next);
                }
                else
                {
                    await next(http);
                }
            }
            // Outside the API only a request that could not be read (a malformed sign-in form, say) is answered
            // here, since binding failures throw everywhere; anything else there is the error page's.
            catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested && (IsApi(http.Request.Path) || ex is BadHttpRequestException))
            {
                await AnswerAsync(http, ex);
            }
        });

    public static bool IsApi(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs");

    private static async Task AnswerAsync(HttpContext http, Exception ex)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiFaultBarrier));
        var correlationId = Activity.Current?.Id ?? http.TraceIdentifier;
        var (status, title, detail) = Describe(http, ex);
        if (status >= 500)
        {
            logger.LogError(ex, "{Method} {Path} failed ({Status}, correlation id {CorrelationId})", http.Request.Method, http.Request.Path, status, correlationId);
        }
        else
        {
            logger.LogInformation("{Method} {Path} refused ({Status}, correlation id {CorrelationId}): {Reason}", http.Request.Method, http.Request.Path, status, correlationId, detail);
        }
        if (http.Response.HasStarted)
        {
            // Part of the answer is on its way (a log download); ending the connection is all that is left.
            http.Abort();
            return;
        }
        http.Response.Clear();
        http.Response.StatusCode = status;
        http.Response.Headers["X-Correlation-Id"] = correlationId;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = ex,
            ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = detail,
                Extensions = { ["correlationId"] = correlationId },
            },
        });
    }

    private static (int Status, string Title, string Detail) Describe(HttpContext http, Exception ex)
    {
        if (ex is BadHttpRequestException bad)
        {
            return (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Bad request", Reason(bad));
        }
        if (ex is InvalidEngineReferenceException invalid)
        {
            return (StatusCodes.Status400BadRequest, "Invalid id or name", invalid.Message);
        }
        var cluster = http.GetRouteValue("cluster") as string;
        var fault = http.RequestServices.GetService<IEngineFaults>()?.Classify(ex);
        return fault switch
        {
            { Kind: EngineFaultKind.BadRequest } => (StatusCodes.Status400BadRequest, "The engine refused the request", fault.Message),
            { Kind: EngineFaultKind.NotFound } => (StatusCodes.Status404NotFound, "Not found", fault.Message),
            { Kind: EngineFaultKind.Conflict } => (StatusCodes.Status409Conflict, "Conflict", fault.Message),
            { Kind: EngineFaultKind.Unreachable } => (StatusCodes.Status503ServiceUnavailable, "Cluster unreachable",
                cluster is null || fault.Message.Contains(cluster, StringComparison.Ordinal) ? fault.Message : $"Cluster '{cluster}': {fault.Message}"),
            { Kind: EngineFaultKind.Timeout } => (StatusCodes.Status504GatewayTimeout, "Cluster timed out",
                cluster is null ? fault.Message : $"Cluster '{cluster}': {fault.Message}"),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error",
                "ControlPlane failed to answer this request; the correlation id finds it in the server's log."),
        };
    }

    // The binder's message names the parameter; the JSON reader's, where it failed.
    private static string Reason(BadHttpRequestException bad) =>
        bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
}
