using ControlPlane.Core.Metrics;
using ControlPlane.Data.Metrics;

namespace ControlPlane.Data.Tests;

public abstract class MetricsRepositoryTests<TDatabase> : IClassFixture<TDatabase> where TDatabase : TestDatabase
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly TDatabase _database;

    protected MetricsRepositoryTests(TDatabase database) => _database = database;

    [Fact]
    public async Task Readings_are_averaged_into_buckets_and_failures_summed()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        await using (var db = _database.CreateContext())
        {
            var repository = new MetricsRepository(db);
            // One reading a minute for an hour: running climbs 0..59, one failure every ten minutes.
            for (var minute = 0; minute < 60; minute++)
            {
                await repository.AddAsync(new ClusterMetrics(cluster, Start.AddMinutes(minute), minute, 60, minute % 10 == 0 ? 1 : 0, 3, 3), default);
            }
            await repository.AddAsync(new ClusterMetrics("other", Start, 999, 999, 99, 1, 1), default);
        }

        await using var read = _database.CreateContext();
        var series = await new MetricsRepository(read).GetSeriesAsync(cluster, Start, Start.AddHours(1), TimeSpan.FromMinutes(15), default);

        Assert.Equal(4, series.Count);
        Assert.Equal([Start, Start.AddMinutes(15), Start.AddMinutes(30), Start.AddMinutes(45)], series.Select(p => p.Time));
        Assert.Equal(7, series[0].TasksRunning); // average of 0..14
        Assert.Equal(52, series[3].TasksRunning); // average of 45..59
        Assert.Equal(6, series.Sum(p => p.TaskFailures));
        Assert.All(series, p => Assert.Equal(3, p.NodesReady));
    }

    [Fact]
    public async Task Pruning_forgets_only_older_readings()
    {
        var cluster = $"c-{Guid.NewGuid():N}";
        await using var db = _database.CreateContext();
        var repository = new MetricsRepository(db);
        await repository.AddAsync(new ClusterMetrics(cluster, Start.AddDays(-8), 1, 1, 0, 1, 1), default);
        await repository.AddAsync(new ClusterMetrics(cluster, Start, 2, 2, 0, 1, 1), default);

        await repository.PruneAsync(Start.AddDays(-7), default);

        var left = await repository.GetSeriesAsync(cluster, Start.AddDays(-30), Start.AddDays(1), TimeSpan.FromMinutes(1), default);
        Assert.Equal(2, Assert.Single(left).TasksRunning);
    }
}

public sealed class SqliteMetricsRepositoryTests(SqliteDatabase database) : MetricsRepositoryTests<SqliteDatabase>(database);

public sealed class PostgresMetricsRepositoryTests(PostgresDatabase database) : MetricsRepositoryTests<PostgresDatabase>(database);
