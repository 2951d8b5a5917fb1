using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ControlPlane.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MetricSamples : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MetricSamples",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ClusterId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    UnixSeconds = table.Column<long>(type: "bigint", nullable: false),
                    TasksRunning = table.Column<int>(type: "integer", nullable: false),
                    TasksDesired = table.Column<int>(type: "integer", nullable: false),
                    TaskFailures = table.Column<int>(type: "integer", nullable: false),
                    NodesReady = table.Column<int>(type: "integer", nullable: false),
                    NodesTotal = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricSamples", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MetricSamples_ClusterId_UnixSeconds",
                table: "MetricSamples",
                columns: new[] { "ClusterId", "UnixSeconds" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MetricSamples");
        }
    }
}
