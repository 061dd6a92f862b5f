// ZZScratchProbe: temporary probes, to be deleted.
import Testing
@testable import TriplicateCore

@Suite struct ZZScratchProbe {
    @Test func treeOneByteNameEmptyTarget() throws {
        let n = TreeNode(name: utf8("a"), mode: 0o777, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0, content: .symlink(target: []))
        let t = try Tree(nodes: [n])
        print("PROBE tree bytes", t.encode().count)
        do { _ = try Tree.decode(t.encode(), context: "probe"); print("PROBE tree decodes") } catch { print("PROBE tree decode error:", error) }
        let names = (0..<10).map { TreeNode(name: [UInt8(0x61 + $0)], mode: 0, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0, content: .symlink(target: [])) }
        do { _ = try Tree.decode(try Tree(nodes: names).encode(), context: "probe"); print("PROBE tree10 decodes") } catch { print("PROBE tree10 decode error:", error) }
        let empty = TreeNode(name: [], mode: 0, mtime: Timestamp(seconds: 0, nanoseconds: 0), size: 0, content: .symlink(target: [0x61]))
        do { _ = try Tree.decode(try Tree(nodes: [empty]).encode(), context: "probe"); print("PROBE emptyname decodes") } catch { print("PROBE emptyname decode error:", error) }
    }
    @Test func zstdLimitEqual() throws {
        let c = try ZstdCompressor()
        for count in [100, 1000, 10_000, 100_000] {
            let data = patternedBytes(count: count)
            let frame = try c.compress(data)
            var out: [UInt8] = []
            var minimal = frame.count
            while true {
                out = []
                let ok = try data.withUnsafeBytes { try c.compress($0, into: &out, limit: minimal) }
                if ok { break }
                minimal += 1
            }
            print("PROBE zstd count \(count) frame \(frame.count) smallest accepted limit", minimal, "out", out.count)
        }
    }
}
