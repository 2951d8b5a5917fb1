using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace ControlPlane.Data.Migrations.Postgres
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ClusterId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Stack = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Compose = table.Column<string>(type: "text", nullable: false),
                    Variables = table.Column<string>(type: "text", nullable: false),
                    Prune = table.Column<bool>(type: "boolean", nullable: false),
                    DeployedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    DeployedAtMs = table.Column<long>(type: "bigint", nullable: false),
                    OperationId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Result = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false)
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
