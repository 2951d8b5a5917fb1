using System.Net;
using System.Net.Http.Json;
using ControlPlane.Web.Tests.Infrastructure;

namespace ControlPlane.Web.Tests.Api;

/// <summary>Signed-in clients of users other than the bootstrap admin, made the way an admin makes them: through the API.</summary>
public static class ViewerClients
{
    /// <summary>Creates <paramref name="userName"/> with Viewer on all clusters (as the admin) and returns a client signed in as them.</summary>
    public static async Task<HttpClient> CreateSignedInViewerAsync(this ControlPlaneAppFactory factory, string userName)
    {
        var password = $"{userName}-long-password";
        using (var admin = await factory.CreateSignedInClientAsync(ControlPlaneAppFactory.BootstrapAdmin, ControlPlaneAppFactory.BootstrapPassword))
        using (var created = await admin.PostAsJsonAsync("/api/users", new { username = userName, password, role = "viewer" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        return await factory.CreateSignedInClientAsync(userName, password);
    }
}
