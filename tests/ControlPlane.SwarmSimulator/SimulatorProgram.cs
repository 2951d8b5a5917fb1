using System.Globalization;

namespace ControlPlane.SwarmSimulator;

/// <summary>
/// The simulator as a program:
/// <c>dotnet run --project tests/ControlPlane.SwarmSimulator -- --nodes 1000 --services 10000 --tasks 50000 --listen unix:///tmp/sim.sock</c>.
/// </summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        SimulatorOptions options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{Usage}");
            return 2;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var simulator = await SwarmSimulator.StartAsync(options);
        Console.WriteLine($"Simulated swarm manager on {simulator.Endpoint}: {options.Nodes} nodes, {options.Services} services, {options.Tasks} tasks " +
            $"(ready in {started.ElapsedMilliseconds} ms; churn {options.Churn}/s, time scale {options.TimeScale}). Ctrl+C stops it.\n" +
            "Faults: POST /_simulator/break-events, /_simulator/restart, /_simulator/slow?ms=N, /_simulator/nodes/{id}/down and /up, /_simulator/churn?rate=N.");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        // kill (SIGTERM) stops it too: the host's own lifetime would stop Kestrel but leave this wait running.
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    public const string Usage =
        "usage: ControlPlane.SwarmSimulator [--nodes N] [--managers N] [--services N] [--tasks N] [--listen unix:///path|tcp://host:port]\n" +
        "       [--hostname-prefix P] [--time-scale X] [--churn N] [--slow-ms N] [--events-kept N] [--failing-image IMAGE]... [--seed N]";

    public static SimulatorOptions Parse(string[] args)
    {
        var options = new SimulatorOptions();
        var failing = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} needs a whole number ≥ 0");
            double Double() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new ArgumentException($"{name} needs a number ≥ 0");
            options = name switch
            {
                "--nodes" => options with { Nodes = Math.Max(1, Int()) },
                "--managers" => options with { Managers = Math.Max(1, Int()) },
                "--services" => options with { Services = Int() },
                "--tasks" => options with { Tasks = Int() },
                "--listen" => options with { Listen = Listen(Value()) },
                "--hostname-prefix" => options with { HostnamePrefix = Value() },
                "--time-scale" => options with { TimeScale = Double() },
                "--churn" => options with { Churn = Double() },
                "--slow-ms" => options with { SlowAnswers = TimeSpan.FromMilliseconds(Int()) },
                "--events-kept" => options with { EventsKept = Math.Max(1, Int()) },
                "--seed" => options with { Seed = Int() },
                "--failing-image" => AddFailing(options, failing, Value()),
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        if (options.Tasks > 0 && options.Services == 0)
        {
            throw new ArgumentException("--tasks needs --services to put them in");
        }
        return options;
    }

    private static SimulatorOptions AddFailing(SimulatorOptions options, List<string> failing, string image)
    {
        failing.Add(image);
        return options with { FailingImages = [.. failing] };
    }

    private static string Listen(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "unix" or "tcp"
            ? value
            : throw new ArgumentException($"--listen takes unix:///path.sock or tcp://host:port, not '{value}'");
}
