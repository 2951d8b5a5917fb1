using System.Security.Claims;
using ControlPlane.Core.Audit;
using ControlPlane.Data.Identity;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Web.Authentication;

/// <summary>Sign-in and sign-out: JSON for the API (<c>POST /api/auth/login</c>) and a form post for the sign-in page.</summary>
public static class AccountEndpoints
{
    /// <summary>Why a sign-in failed: a code for the sign-in page's query string and a message for the API's answer.</summary>
    private sealed record SignInFailure(string Code, string Message);

    /// <summary>The body of <c>POST /api/auth/login</c>.</summary>
    public sealed record LoginRequest(string? Username, string? Password);

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", async (LoginRequest request, HttpContext http) =>
            await SignInAsync(http, request.Username, request.Password) is { } failure
                ? Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed", detail: failure.Message)
                : Results.NoContent())
            .AllowAnonymous()
            .DisableAntiforgery() // A JSON body cannot be sent cross-site without CORS, which ControlPlane does not allow.
            .WithTags("Account");

        app.MapPost("/api/auth/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.NoContent();
        }).WithTags("Account");

        // The sign-in page posts here (antiforgery-checked), then goes where the user wanted to go.
        app.MapPost("/account/login", async ([FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl, HttpContext http) =>
        {
            var target = ReturnUrls.Safe(returnUrl);
            // The page is told a code, never a text: it shows its own fixed message for it (SignInErrors).
            return await SignInAsync(http, username, password) is { } failure
                ? Results.Redirect($"/account/login?error={failure.Code}&returnUrl={Uri.EscapeDataString(target)}&username={Uri.EscapeDataString(username ?? "")}")
                : Results.LocalRedirect(target);
        }).AllowAnonymous().ExcludeFromDescription();

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

    /// <summary>Checks the password, signs in with a cookie, audits the attempt; returns what went wrong, or null.</summary>
    private static async Task<SignInFailure?> SignInAsync(HttpContext http, string? username, string? password)
    {
        var accounts = http.RequestServices.GetRequiredService<Accounts>();
        var audit = http.RequestServices.GetRequiredService<IAuditLog>();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var name = (username ?? "").Trim();
        var client = http.ClientAddress();
        if (name.Length == 0 || string.IsNullOrEmpty(password))
        {
            return new SignInFailure(SignInErrors.Missing, SignInErrors.MessageOf(SignInErrors.Missing));
        }

        var result = await accounts.SignInAsync(name, password, http.RequestAborted);
        var (outcome, problem) = result.Outcome switch
        {
            SignInOutcome.Succeeded => (AuditResult.Succeeded, (SignInFailure?)null),
            SignInOutcome.LockedOut => (AuditResult.Denied, new SignInFailure(SignInErrors.Locked,
                $"The account is locked after too many failed attempts; try again after {result.LockedUntil:HH:mm} UTC.")),
            _ => (AuditResult.Failed, new SignInFailure(SignInErrors.Invalid, SignInErrors.MessageOf(SignInErrors.Invalid))),
        };
        // The password never reaches the audit log; the user name does, even when it does not exist.
        await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), name, "signin", "ControlPlane", outcome, client,
            result.Outcome == SignInOutcome.Succeeded ? "local account" : result.Outcome.ToString()), http.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, result.User!.UserName), new Claim(ClaimTypes.NameIdentifier, result.User.Id.ToString())],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return null;
    }
}
