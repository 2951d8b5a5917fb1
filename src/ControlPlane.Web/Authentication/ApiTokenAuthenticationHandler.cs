using System.Security.Claims;
using System.Text.Encodings.Web;
using ControlPlane.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Authentication;

/// <summary>Signs in automation that sends <c>Authorization: Bearer cpt_…</c> (or, for the hub's WebSocket, <c>?access_token=cpt_…</c>).</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ITokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>The token in a request, if it carries one of ours.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer " + IdentityRules.TokenPrefix, StringComparison.Ordinal))
        {
            return header["Bearer ".Length..].Trim();
        }
        // Browsers' WebSocket API cannot send headers; SignalR clients put the token in the query instead.
        return request.Path.StartsWithSegments("/hubs") && request.Query["access_token"].ToString() is { } query && query.StartsWith(IdentityRules.TokenPrefix, StringComparison.Ordinal)
            ? query
            : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (TokenOf(Request) is not { } token)
        {
            return AuthenticateResult.NoResult();
        }
        if (await tokens.AuthenticateAsync(token, Context.RequestAborted) is not var (user, record))
        {
            return AuthenticateResult.Fail("The API token is unknown, expired or revoked.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.UserName), new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()), new Claim(ControlPlaneClaims.TokenName, record.Name),
                new Claim(ControlPlaneClaims.TokenId, record.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
