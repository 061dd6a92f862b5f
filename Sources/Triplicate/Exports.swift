// Exports: the `Triplicate` library re-exports the public part of the core (the Destination protocol, object IDs,
// errors) and the destinations its API speaks of. The format and crypto types are `package` or, for the benchmark
// package only, `@_spi(Benchmarks)`: a library user reaches neither keys nor the format's internals.
@_spi(Benchmarks) @_exported public import TriplicateCore
@_exported public import TriplicateDestinations
