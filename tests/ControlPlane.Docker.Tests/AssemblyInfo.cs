// These tests share one real swarm and some stop and restart its engines: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
