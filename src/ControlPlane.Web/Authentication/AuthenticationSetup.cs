using Microsoft.Extensions.DependencyInjection.Extensions;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Identity.Web;

namespace ControlPlane.Web.Authentication;

/// <summary>
/// Who may call ControlPlane: local accounts (cookie), API tokens (<c>Bearer cpt_…</c>), and, when an
/// <c>AzureAd</c> section is configured, Microsoft Entra ID (OpenID Connect for the UI, bearer JWTs for the API).
/// One policy scheme picks the right one per request.
/// </summary>
public static class AuthenticationSetup
{
    public const string Selector = "ControlPlane";
    public const string EntraScheme = "Entra";

    /// <summary>The sign-in cookie's name (the OpenAPI document names it in its cookie security scheme).</summary>
    public const string CookieName = "ControlPlane.Auth";
    public const string EntraBearerScheme = "EntraBearer";
    public const string AzureAdSection = "AzureAd";

    public static bool IsEntraConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{AzureAdSection}:ClientId"]);

    public static IServiceCollection AddControlPlaneAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var entra = IsEntraConfigured(configuration);
        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = Selector;
                options.DefaultChallengeScheme = Selector;
                options.DefaultSignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddPolicyScheme(Selector, "ControlPlane", options => options.ForwardDefaultSelector = context => SchemeFor(context.Request, entra))
            .AddCookie(options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                // Lax, not Strict: Entra's sign-in comes back as a cross-site form post.
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.LoginPath = "/account/login";
                options.AccessDeniedPath = "/account/denied";
                // The API, its description and the hub answer 401/403; only pages redirect to the sign-in page.
                options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
                // Cookies live for hours and renew themselves: each request checks that the session was not revoked since.
                options.Events.OnValidatePrincipal = EndRevokedSessionAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);

        // Secure outside Development, whatever scheme the request came in on (a proxy may end TLS in front of ControlPlane);
        // plain http only on a developer's machine.
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IHostEnvironment>((options, environment) =>
                options.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always);

        if (entra)
        {
            var section = configuration.GetSection(AzureAdSection);
            authentication.AddMicrosoftIdentityWebApp(section, openIdConnectScheme: EntraScheme, cookieScheme: null);
            authentication.AddMicrosoftIdentityWebApi(section, jwtBearerScheme: EntraBearerScheme);
            // Configure, not PostConfigure: the handlers' own post-configuration (registered first) refuses an http
            // authority unless RequireHttpsMetadata is already false; Microsoft.Identity.Web sets Authority in Configure.
            var tenants = EntraTenants.From(configuration);
            services.AddSingleton(tenants);
            services.Configure<OpenIdConnectOptions>(EntraScheme, options =>
            {
                options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.RequireHttpsMetadata = !IsLoopbackHttp(options.Authority);
                PinTenants(options.Events, tenants);
            });
            services.Configure<JwtBearerOptions>(EntraBearerScheme, options =>
            {
                options.RequireHttpsMetadata = !IsLoopbackHttp(options.Authority);
                PinTenants(options.Events, tenants);
            });
            // A session signed in before the list changed ends at its next request, not when its cookie expires.
            // It runs after the revocation check set above, never instead of it.
            services.Configure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, options =>
            {
                var revocation = options.Events.OnValidatePrincipal;
                options.Events.OnValidatePrincipal = async context =>
                {
                    await revocation(context);
                    if (context.Principal?.EntraTenantId() is not null && await tenants.RefuseAsync(context.HttpContext, context.Principal, "a session") is not null)
                    {
                        context.RejectPrincipal();
                    }
                };
            });
        }

        services.AddAuthorization(options =>
        {
            // Everything needs a signed-in caller unless it says otherwise ([AllowAnonymous]: sign-in, health, static files).
            options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        });
        services.AddOptions<SessionCheckOptions>().BindConfiguration(SessionCheckOptions.Section)
            .Validate(o => o.RevalidationInterval > TimeSpan.Zero && o.RevalidationInterval <= TimeSpan.FromSeconds(30),
                $"{SessionCheckOptions.Section}:RevalidationInterval must be more than zero and at most 30 seconds, so revoked access ends within 30 seconds.")
            .Validate(o => o.StampCacheDuration >= TimeSpan.Zero && o.StampCacheDuration <= TimeSpan.FromSeconds(10),
                $"{SessionCheckOptions.Section}:StampCacheDuration must be between zero and 10 seconds.")
            .ValidateOnStart();
        services.AddSingleton<SessionValidator>();
        services.AddCascadingAuthenticationState();
        services.AddSingleton(EntraGrantOptions.From(configuration));
        services.AddSingleton<AccessControl>();
        services.AddSingleton<Core.Identity.IdentityCommands>();
        services.AddSingleton<Core.Identity.PasswordSignIn>();
        services.AddSingleton(configuration.GetSection(Core.Changes.ChangeLimits.SectionName).Get<Core.Changes.ChangeLimits>() ?? new Core.Changes.ChangeLimits());
        services.AddSingleton<Core.Changes.ServiceCommands>();
        services.AddSingleton<Core.Operations.IOperationResumer>(sp => sp.GetRequiredService<Core.Changes.ServiceCommands>());
        services.AddSingleton<Core.Changes.NodeCommands>();
        services.AddSingleton<Core.Workloads.RestartPlans>();
        services.AddSingleton<Core.Changes.SwarmCommands>();
        Changes.SecretFamiliesSetup.AddSecretFamilies(services);
        services.AddSingleton<Core.Images.RolloutPlans>();
        services.AddSingleton<Core.Images.ImageDistribution>();
        services.AddSingleton<Core.Images.RolloutHistory>();
        services.AddSingleton<Core.Images.ImageCommands>();
        services.AddSingleton<Core.Operations.IOperationResumer>(sp => sp.GetRequiredService<Core.Images.ImageCommands>());
        services.TryAddSingleton<Core.Stacks.IStackHistory, Core.Stacks.InMemoryStackHistory>();
        services.AddSingleton<Core.Stacks.StackCommands>();
        services.AddSingleton<Core.Operations.IOperationResumer>(sp => sp.GetRequiredService<Core.Stacks.StackCommands>());
        services.AddSingleton<AnonymousRefusals>();
        services.AddHostedService(sp => sp.GetRequiredService<AnonymousRefusals>());
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        return services;
    }

    /// <summary>
    /// The scheme that authenticates <paramref name="request"/>: an API token, an Entra bearer token, else the cookie
    /// (which the browser sends on its own, hence <see cref="Hosting.CrossOriginProtection"/>).
    /// </summary>
    public static string SchemeFor(HttpRequest request, bool entraConfigured) =>
        ApiTokenAuthenticationHandler.TokenOf(request) is not null ? ApiTokenAuthenticationHandler.SchemeName
        : entraConfigured && request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ? EntraBearerScheme
        : CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>
    /// Refuses bearer tokens from tenants not on the list, after Microsoft.Identity.Web's own checks (which accept any
    /// tenant when the authority is <c>common</c> or <c>organizations</c>): 401, audited.
    /// </summary>
    private static void PinTenants(JwtBearerEvents events, EntraTenants tenants)
    {
        var validated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await validated(context);
            if (context.Result is null && await tenants.RefuseAsync(context.HttpContext, context.Principal, "a bearer token") is { } refusal)
            {
                context.Fail(refusal);
            }
        };
    }

    /// <summary>
    /// Refuses OpenID Connect sign-ins from tenants not on the list, audited; the browser goes back to the sign-in page
    /// with <see cref="SignInErrors.Tenant"/> rather than to an error page.
    /// </summary>
    private static void PinTenants(OpenIdConnectEvents events, EntraTenants tenants)
    {
        var validated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await validated(context);
            if (context.Result is null && await tenants.RefuseAsync(context.HttpContext, context.Principal, "an OpenID Connect sign-in") is { } refusal)
            {
                context.Fail(refusal);
            }
        };
        var failed = events.OnRemoteFailure;
        events.OnRemoteFailure = context =>
        {
            if (context.Failure?.Message != EntraTenants.Refusal)
            {
                return failed(context);
            }
            context.Response.Redirect($"/account/login?error={SignInErrors.Tenant}");
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    /// <summary>Rejects a cookie whose sign-in was revoked (a password change, a sign-out everywhere) and deletes it.</summary>
    private static async Task EndRevokedSessionAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionValidator>();
        if (context.Principal is { } principal && !await sessions.IsCurrentAsync(principal, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (AuditingAuthorizationResultHandler.IsApiOrHub(context.Request.Path) || context.Request.Path.StartsWithSegments("/openapi"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }
        return Task.CompletedTask;
    }

    /// <summary>Plain-http metadata is accepted only from a local authority (the tests' stand-in for Entra), never from the network.</summary>
    private static bool IsLoopbackHttp(string? authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;
}
