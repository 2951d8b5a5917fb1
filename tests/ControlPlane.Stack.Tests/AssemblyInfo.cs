// Every test kills containers of the one stack: they run one after another, each leaving three healthy replicas.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
