using System.Security.Claims;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Telemetry;
using ControlPlane.Web.Api;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Web.Authentication;

/// <summary>Sign-in and sign-out: JSON for the API (<c>POST /api/auth/login</c>) and a form post for the sign-in page.</summary>
public static class AccountEndpoints
{
    /// <summary>The body of <c>POST /api/auth/login</c>.</summary>
    public sealed record LoginRequest(string? Username, string? Password);

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", async (LoginRequest request, HttpContext http) =>
            await SignInAsync(http, request.Username, request.Password) switch
            {
                null => Results.NoContent(),
                { RetryAfter: { } wait } refusal => RequestLimits.TooMany(http, wait, refusal.Message),
                var refusal => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed", detail: refusal.Message),
            })
            .AllowAnonymous()
            .RequireRateLimiting(RequestLimits.SignInPolicy)
            .DisableAntiforgery() // A JSON body cannot be sent cross-site without CORS, which ControlPlane does not allow.
            .WithTags("Account").WithName("SignIn").WithSummary("Sign in with a local account; the answer sets the session cookie")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithRequestExample(new LoginRequest("alice", "her password"));

        app.MapPost("/api/auth/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.NoContent();
        }).WithTags("Account").WithName("SignOut").WithSummary("Sign out: the session cookie is deleted").Produces(StatusCodes.Status204NoContent);

        // The sign-in page posts here (antiforgery-checked), then goes where the user wanted to go.
        app.MapPost("/account/login", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl, HttpContext http) =>
        {
            var target = ReturnUrls.Safe(returnUrl);
            // The page is told a code, never a text: it shows its own fixed message for it (SignInErrors).
            return await SignInAsync(http, username, password) is { } refusal
                ? Results.Redirect($"/account/login?error={refusal.Code}&returnUrl={Uri.EscapeDataString(target)}&username={Uri.EscapeDataString(username ?? "")}")
                : Results.LocalRedirect(target);
        }).AllowAnonymous().RequireRateLimiting(RequestLimits.SignInPolicy).ExcludeFromDescription();

        app.MapPost("/account/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/account/login");
        })
        // It binds no form field, so antiforgery would not be checked unless asked for: a forged post must not sign anyone out.
        .WithMetadata(new RequireAntiforgeryTokenAttribute())
        .ExcludeFromDescription();

        app.MapGet("/account/login/entra", (string? returnUrl) =>
            Results.Challenge(new AuthenticationProperties { RedirectUri = ReturnUrls.Safe(returnUrl) }, [AuthenticationSetup.EntraScheme]))
            .AllowAnonymous().ExcludeFromDescription();

        return app;
    }

    /// <summary>
    /// Why a sign-in did not happen: the code the sign-in page shows a fixed message for, the message for API callers,
    /// and how long to wait when the user name has had its attempts for now.
    /// </summary>
    private sealed record Refusal(string Code, string Message, TimeSpan? RetryAfter = null);

    /// <summary>
    /// Checks the password (the check audits the attempt), then signs in with a cookie; returns why not, or null.
    /// Attempts on one user name are limited wherever they come from, before the password is checked.
    /// </summary>
    private static async Task<Refusal?> SignInAsync(HttpContext http, string? username, string? password)
    {
        var refusal = await TrySignInAsync(http, username, password);
        if (refusal is not null)
        {
            ControlPlaneTelemetry.SignInFailed(refusal.Code);
        }
        return refusal;
    }

    private static async Task<Refusal?> TrySignInAsync(HttpContext http, string? username, string? password)
    {
        using var lease = http.RequestServices.GetRequiredService<SignInThrottle>().TryAcquire((username ?? "").Trim());
        if (!lease.IsAcquired)
        {
            var wait = RequestLimits.RetryAfter(lease);
            return new Refusal(SignInErrors.Throttled, $"Too many sign-in attempts for this user name; try again in {Math.Ceiling(wait.TotalMinutes):0} minutes.", wait);
        }
        var signIn = http.RequestServices.GetRequiredService<PasswordSignIn>();
        var result = await signIn.SignInAsync(username, password, http.ClientAddress(), http.RequestAborted);
        if (result.Value is not var (account, stamp))
        {
            return new Refusal(result.Message == PasswordSignIn.MissingInput ? SignInErrors.Missing : SignInErrors.Invalid, result.Message);
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, account.UserName), new Claim(ClaimTypes.NameIdentifier, account.Id.ToString()), new Claim(ControlPlaneClaims.SecurityStamp, stamp)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return null;
    }
}
