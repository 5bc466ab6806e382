import Testing

/// The consumer tests that run an in-process cluster with a real-time driver and group
/// timeouts of a few hundred milliseconds. They run one at a time: several clusters at once on
/// a small machine would starve each other's heartbeats and turn timing margins into failures.
@Suite(.serialized) enum ConsumerClusterTests {}
