using ControlPlane.Core.State;

namespace ControlPlane.Core.Tests.State;

public class ImageReferenceTests
{
    private const string Digest = "sha256:4f9c3a1e0b7d2c5a8e6f1b3d9c0a7e5f2b8d4c6a1e3f5b7d9c0a2e4f6b8d0c1a";

    [Theory]
    [InlineData("nginx", "nginx", "latest", null)]
    [InlineData("nginx:1.27", "nginx", "1.27", null)]
    [InlineData("docker.io/library/nginx:1.27", "nginx", "1.27", null)]
    [InlineData("library/nginx", "nginx", "latest", null)]
    [InlineData("localhost:5000/shop/web", "localhost:5000/shop/web", "latest", null)]
    [InlineData("localhost:5000/shop/web:2", "localhost:5000/shop/web", "2", null)]
    [InlineData("nginx:1.27@" + Digest, "nginx", "1.27", Digest)]
    [InlineData("nginx@" + Digest, "nginx", null, Digest)]
    public void Parse_splits_repository_tag_and_digest(string reference, string repository, string? tag, string? digest)
    {
        Assert.Equal(new ImageReference(repository, tag, digest), ImageReference.Parse(reference));
    }

    [Theory]
    [InlineData("nginx:1.27@" + Digest, true)]            // the tag, pin stripped
    [InlineData("docker.io/library/nginx:1.27", true)]     // Docker Hub's implied parts
    [InlineData("nginx@" + Digest, true)]                  // the digest alone
    [InlineData("other/repo:9@" + Digest, true)]           // same manifest digest under another tag
    [InlineData("nginx:1.26", false)]
    [InlineData("nginx", false)]                           // means nginx:latest
    [InlineData("mirror.local/nginx:1.27", false)]         // another registry is another image
    public void A_service_uses_an_image_by_tag_or_by_digest(string serviceImage, bool used)
    {
        Assert.Equal(used, ImageReference.IsUsedBy(serviceImage, ["nginx:1.27"], [$"nginx@{Digest}"]));
    }
}
