using System.Numerics;
using System.Security.Cryptography;

namespace ControlPlane.SwarmSimulator;

/// <summary>Identifiers as the engine makes them.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>A swarm object id: a random 128-bit number in base 36, 25 characters (swarmkit's identity.NewID).</summary>
    public static string Swarm()
    {
        Span<byte> bytes = stackalloc byte[17];
        RandomNumberGenerator.Fill(bytes[..16]);
        bytes[16] = 0; // unsigned
        var value = new BigInteger(bytes);
        Span<char> chars = stackalloc char[25];
        for (var i = 24; i >= 0; i--)
        {
            value = BigInteger.DivRem(value, 36, out var digit);
            chars[i] = Alphabet[(int)digit];
        }
        return new string(chars);
    }

    /// <summary>A container or local network id: 64 hex digits.</summary>
    public static string Hex64() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A stable sha256 digest for a name, so the same image resolves to the same digest every time.</summary>
    public static string Digest(string name) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));
}
