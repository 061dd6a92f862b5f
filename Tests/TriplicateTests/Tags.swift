// Tags: groups of tests by cost, shown in test reports and IDEs (Xcode's test navigator filters by tag). While
// developing, `swift test --skip-build --skip 'S3|Plan|Crash|RemovableDrive|EveryDestination'` leaves out most of them
// by name; `make test` runs them all.
@_spi(Benchmarks) import TriplicateCore
import Testing

extension Tag {
    /// Takes more than a few seconds: an S3 server, a FUSE drive, a killed process, gigabytes read.
    @Tag static var slow: Self
}
