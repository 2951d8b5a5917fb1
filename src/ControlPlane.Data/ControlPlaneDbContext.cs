using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data;

/// <summary>
/// ControlPlane's own database. Users, grants, tokens, the audit log, operations and metric samples
/// are added by the issues that own them; today it backs readiness.
/// </summary>
public sealed class ControlPlaneDbContext(DbContextOptions<ControlPlaneDbContext> options) : DbContext(options);
