using System.Threading.RateLimiting;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace ControlPlane.Web.Authentication;

/// <summary>
/// How much a caller may ask of ControlPlane (<c>ControlPlane:RateLimits</c>). Sign-in is the costly, guessable
/// entry: each attempt costs a full password hash, so it is limited per client address and per user name; anonymous
/// requests are limited per address; signed-in callers get a per-principal budget generous enough for scripts that poll.
/// </summary>
public sealed class RequestLimitOptions
{
    public const string SectionName = "ControlPlane:RateLimits";

    /// <summary>Sign-in attempts (and API token creations) one client address may make per minute.</summary>
    public int SignInPerAddressPerMinute { get; set; } = 10;

    /// <summary>Sign-in attempts on one user name per 15 minutes, from anywhere (the lockout counts only failures).</summary>
    public int SignInPerUserPer15Minutes { get; set; } = 10;

    /// <summary>Requests without a signed-in caller one client address may make per minute (pages, assets, refusals).</summary>
    public int AnonymousPerAddressPerMinute { get; set; } = 300;

    /// <summary>Requests per second one signed-in caller (user or token) may make, with as much again as a burst.</summary>
    public int PerPrincipalPerSecond { get; set; } = 50;
}

/// <summary>The rate limiter's set-up: the global per-caller limits, the sign-in policy, and the per-user-name limiter.</summary>
public static class RequestLimits
{
    /// <summary>The endpoint policy of sign-in and token creation: per client address.</summary>
    public const string SignInPolicy = "signin";

    public static IServiceCollection AddControlPlaneRequestLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RequestLimitOptions.SectionName).Get<RequestLimitOptions>() ?? new RequestLimitOptions();
        services.AddSingleton(options);
        services.AddSingleton<SignInThrottle>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, ct) => RejectAsync(context.HttpContext, context.Lease, ct);
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.User.Identity?.IsAuthenticated == true
                    ? RateLimitPartition.GetTokenBucketLimiter($"principal:{http.User.Actor()}", _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.PerPrincipalPerSecond * 2,
                        TokensPerPeriod = options.PerPrincipalPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetFixedWindowLimiter($"anonymous:{http.ClientAddress()}", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = options.AnonymousPerAddressPerMinute,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    }));
            limiter.AddPolicy(SignInPolicy, http => RateLimitPartition.GetFixedWindowLimiter(http.ClientAddress() ?? "", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.SignInPerAddressPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
        });
        return services;
    }

    /// <summary>429 with <c>Retry-After</c> when the limiter knows it, and a problem body saying what to do.</summary>
    public static async ValueTask RejectAsync(HttpContext http, RateLimitLease lease, CancellationToken ct)
    {
        var wait = RetryAfter(lease);
        await TooMany(http, wait, $"Too many requests from this caller; try again in {Math.Ceiling(wait.TotalSeconds):0} seconds.").ExecuteAsync(http);
    }

    /// <summary>How long a refused caller should wait: what the limiter says, else a minute.</summary>
    public static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);

    /// <summary>429 with the <c>Retry-After</c> header in whole seconds.</summary>
    public static IResult TooMany(HttpContext http, TimeSpan wait, string detail)
    {
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: detail);
    }
}

/// <summary>
/// Sign-in attempts per user name, wherever they come from, so that many addresses cannot guess one account's password
/// faster than the limit. Kept apart from the endpoint limiter because the name is in the body, not the route.
/// </summary>
public sealed class SignInThrottle(RequestLimitOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perUser = PartitionedRateLimiter.Create<string, string>(name =>
        RateLimitPartition.GetFixedWindowLimiter(name, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.SignInPerUserPer15Minutes,
            Window = TimeSpan.FromMinutes(15),
            QueueLimit = 0,
        }));

    /// <summary>A lease for one attempt on the name; not acquired when the name has had its attempts for now.</summary>
    public RateLimitLease TryAcquire(string userName) => _perUser.AttemptAcquire(userName.ToLowerInvariant());

    public void Dispose() => _perUser.Dispose();
}
