// StatusPage: `status --html FILE`, one self-contained page (no script, no file or font from elsewhere) with the
// same facts as `status` and, for each copy, a chart of its size and verified share over time.
@_spi(Benchmarks) import TriplicateCore
import Foundation
import Triplicate

enum StatusPage {
    static func html(_ s: PlanStatus, planFile: String, generated: Date = Date()) -> String {
        let v = s.verdict
        let color = v.allCurrent ? "#1a7f37" : v.holds ? "#9a6700" : "#cf222e"
        var rows = ""
        for d in s.destinations {
            let state: String
            if d.upToDate {
                state = "up to date"
            } else if !d.reachable {
                state = "not reachable: " + (d.reason?.summary ?? "not reachable") + ((d.snapshotsBehind ?? 0) > 0 ? ", \(d.snapshotsBehind ?? 0) behind when last seen" : "")
            } else if d.lastCheckPassed == false {
                state = "failed its last check"
            } else {
                state = "\(Terminal.count(d.snapshotsBehind ?? 0, "snapshot")) behind, \(Terminal.bytes(d.bytesBehind ?? 0)) to copy"
            }
            rows += "<tr><td>\(esc(d.name))</td><td>\(esc(d.media.rawValue)), \(esc(d.site.rawValue))</td>"
                + "<td class=\"\(d.upToDate ? "ok" : "bad")\">\(esc(state))</td>"
                + "<td class=\"n\">\(d.bytes.map { esc(Terminal.bytes($0)) } ?? "–")</td>"
                + "<td class=\"n\">\(d.verifiedRecently.map { esc(Terminal.percent($0)) } ?? "–")</td>"
                + "<td>\(d.lastChecked.map { esc(Terminal.date(iso: $0)) + (d.lastCheckReadData == true ? " (data read)" : "") } ?? "never")</td></tr>\n"
        }
        var facts = "<li>newest snapshot: \(s.newestSnapshot.map { esc($0) + " (" + esc(Terminal.date(iso: s.newestSnapshotTime ?? "")) + ")" } ?? "none yet")</li>\n"
        if let u = s.unprotected {
            facts += u.files == 0 ? "<li>every source file is in the newest backup</li>\n"
                : "<li>\(esc(Terminal.count(u.files, "file"))) new or changed, in no backup yet (\(esc(Terminal.bytes(u.bytes))))</li>\n"
            for m in u.missingSources { facts += "<li>source \(esc(m)) is not there</li>\n" }
        }
        facts += "<li>3-2-1: \(v.copies) up-to-date copies counting the source, media \(esc(v.mediaKinds.map(\.rawValue).joined(separator: ", "))), off site: \(v.offsite ? "yes" : "no")</li>\n"
        for p in v.problems { facts += "<li class=\"bad\">\(esc(p))</li>\n" }
        var charts = ""
        for d in s.destinations {
            charts += "<figure><figcaption>\(esc(d.name)): size (line) and share verified in 30 days (bars)</figcaption>\n"
                + chart(s.history, copy: d.name) + "</figure>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Triplicate: \(esc(s.headline.split(separator: ":").first.map(String.init) ?? "status"))</title>
        <style>
        body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1f2328; }
        h1 { font-size: 1.3em; color: \(color); }
        table { border-collapse: collapse; width: 100%; }
        td, th { border-bottom: 1px solid #d0d7de; padding: .35em .5em; text-align: left; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        .ok { color: #1a7f37; } .bad { color: #cf222e; }
        figure { display: inline-block; margin: 1em 1em 0 0; } figcaption { font-size: .85em; color: #57606a; }
        footer { margin-top: 2em; font-size: .8em; color: #57606a; }
        </style>
        </head>
        <body>
        <h1 id="headline">\(esc(s.headline))</h1>
        <ul>
        \(facts)</ul>
        <table>
        <thead><tr><th>copy</th><th>medium</th><th>state</th><th>size</th><th>verified (30 days)</th><th>last check</th></tr></thead>
        <tbody>
        \(rows)</tbody>
        </table>
        \(charts)
        <footer>plan \(esc(planFile)) · written \(esc(Terminal.date(generated))) by triplicate status --html</footer>
        </body>
        </html>

        """
    }

    /// An inline SVG: the copy's size as a line, its verified share as bars, over the samples of `history`.
    static func chart(_ history: [StatusSample], copy: String) -> String {
        let w = 360.0, h = 120.0, pad = 4.0
        let points = history.compactMap { sample -> (t: Double, bytes: Int64?, verified: Double?)? in
            guard let t = ISOTime.parse(sample.time)?.timeIntervalSince1970 else { return nil }
            let b = sample.bytes[copy], v = sample.verified[copy]
            return b == nil && v == nil ? nil : (t, b, v)
        }
        guard let first = points.first, let last = points.last else {
            return "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"no data yet\"><text x=\"8\" y=\"20\" font-size=\"12\">no data yet</text></svg>\n"
        }
        let span = max(last.t - first.t, 1)
        let maxBytes = Double(max(points.compactMap(\.bytes).max() ?? 1, 1))
        func x(_ t: Double) -> Double { points.count == 1 ? w / 2 : pad + (t - first.t) / span * (w - 2 * pad) }
        var bars = ""
        let barWidth = max(2, min(12, (w - 2 * pad) / Double(points.count) * 0.6))
        for p in points {
            if let v = p.verified {
                let bh = max(0, min(1, v)) * (h - 2 * pad)
                bars += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#8fd19e\"/>", x(p.t) - barWidth / 2, h - pad - bh, barWidth, bh)
            }
        }
        let coordinates = points.compactMap { p in p.bytes.map { (x(p.t), h - pad - Double($0) / maxBytes * (h - 2 * pad)) } }
        let line = coordinates.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
        // A dot per sample, so that a single one shows too.
        let dots = coordinates.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#0969da\"/>", $0.0, $0.1) }.joined()
        let label = esc("\(copy): \(Terminal.bytes(Int64(maxBytes))) at most, \(points.count) samples")
        return "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(label)\">"
            + "<rect x=\"0\" y=\"0\" width=\"\(Int(w))\" height=\"\(Int(h))\" fill=\"#f6f8fa\"/>" + bars
            + (coordinates.count < 2 ? "" : "<polyline points=\"\(line)\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>") + dots
            + "<text x=\"6\" y=\"14\" font-size=\"11\" fill=\"#57606a\">\(esc(Terminal.bytes(Int64(maxBytes))))</text></svg>\n"
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
