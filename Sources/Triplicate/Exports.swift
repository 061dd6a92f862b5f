// Exports: the `Triplicate` library re-exports the core types and the destinations its API speaks of.
@_exported public import TriplicateCore
@_exported public import TriplicateDestinations
