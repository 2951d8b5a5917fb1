using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ControlPlane.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StackDeployments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StackDeployments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ClusterId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Stack = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Compose = table.Column<string>(type: "TEXT", nullable: false),
                    Variables = table.Column<string>(type: "TEXT", nullable: false),
                    Prune = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeployedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DeployedAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    OperationId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Result = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StackDeployments", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StackDeployments_ClusterId_Stack_Id",
                table: "StackDeployments",
                columns: new[] { "ClusterId", "Stack", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StackDeployments");
        }
    }
}
