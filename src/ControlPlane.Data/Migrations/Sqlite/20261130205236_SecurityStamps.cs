using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ControlPlane.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SecurityStamps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SecurityStamp",
                table: "Users",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            // Every existing account gets a random stamp of its own; sessions signed in before carry none, so they end.
            migrationBuilder.Sql("""UPDATE "Users" SET "SecurityStamp" = lower(hex(randomblob(16)));""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SecurityStamp",
                table: "Users");
        }
    }
}
