using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ControlPlane.Data.Migrations.Sqlite
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ClusterId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    UnixSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    TasksRunning = table.Column<int>(type: "INTEGER", nullable: false),
                    TasksDesired = table.Column<int>(type: "INTEGER", nullable: false),
                    TaskFailures = table.Column<int>(type: "INTEGER", nullable: false),
                    NodesReady = table.Column<int>(type: "INTEGER", nullable: false),
                    NodesTotal = table.Column<int>(type: "INTEGER", nullable: false)
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
