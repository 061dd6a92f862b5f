// Renders develop settings the two ways Lightroom stores them: catalog Lua text and XMP `crs:` markup.

extension DevelopSettings {
    /// The catalog form: `s = { Key = value,` one setting per line, keys sorted, as in `Adobe_imageDevelopSettings.text`.
    var luaText: String {
        var text = "s = { "
        text.reserveCapacity(4096 + masksLua.utf8.count)
        var masksPending = !masks.isEmpty
        for (index, entry) in entries.enumerated() {
            if masksPending && entry.key > "MaskGroupBasedCorrections" {
                text += "MaskGroupBasedCorrections = " + masksLua + ",\n"
                masksPending = false
            }
            text += entry.key
            text += " = "
            text += Self.lua(entry.value)
            text += index == entries.count - 1 && !masksPending ? " }\n" : ",\n"
        }
        if masksPending { text += "MaskGroupBasedCorrections = " + masksLua + " }\n" }
        return text
    }

    private static func lua(_ value: DevelopValue) -> String {
        switch value {
        case .number(let number, _): return number.formatted()
        case .flag(let flag): return flag ? "true" : "false"
        case .text(let text): return "\"" + text.replacingQuotes(with: "\\\"") + "\""
        case .curve(let points): return "{ " + points.map(String.init).joined(separator: ",\n") + " }"
        }
    }

    /// The Lua table of `masks`, rendered once per photo (develop steps do not change masks).
    static func renderMasksLua(_ masks: [MaskCorrection]) -> String {
        let corrections = masks.map { mask -> String in
            var masked = mask.geometry.map { ($0.key, Self.lua($0.value)) }
            masked.append(("MaskID", "\"" + mask.maskID + "\""))
            masked.append(("MaskValue", "1"))
            masked.append(("MaskVersion", "1"))
            masked.append(("What", "\"" + mask.what + "\""))
            if !mask.dabs.isEmpty {
                masked.append(("Dabs", "{ " + mask.dabs.map { "\"" + $0 + "\"" }.joined(separator: ",\n") + " }"))
            }
            masked.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            let maskText = "{ " + masked.map { $0.0 + " = " + $0.1 }.joined(separator: ",\n") + " }"
            var fields = mask.amounts.map { ($0.key, Self.lua($0.value)) }
            fields.append(("CorrectionActive", "true"))
            fields.append(("CorrectionAmount", "1"))
            fields.append(("CorrectionMasks", "{ " + maskText + " }"))
            fields.append(("CorrectionName", "\"" + mask.name + "\""))
            fields.append(("CorrectionSyncID", "\"" + mask.syncID + "\""))
            fields.append(("What", "\"Correction\""))
            fields.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            return "{ " + fields.map { $0.0 + " = " + $0.1 }.joined(separator: ",\n") + " }"
        }
        return "{ " + corrections.joined(separator: ",\n") + " }"
    }

    /// The `crs:Key="value"` attributes of an XMP `rdf:Description`, one per line, indented three spaces.
    var xmpAttributes: String {
        var text = ""
        text.reserveCapacity(4096)
        for entry in entries {
            let value: String
            switch entry.value {
            case .number(let number, let signed): value = number.formatted(plus: signed)
            case .flag(let flag): value = flag ? "True" : "False"
            case .text(let string): value = string.xmlEscaped
            case .curve: continue
            }
            text += "   crs:" + entry.key + "=\"" + value + "\"\n"
        }
        return text
    }

    /// The nested XMP elements: point curves and local-adjustment masks.
    var xmpElements: String {
        var text = ""
        for entry in entries {
            guard case .curve(let points) = entry.value else { continue }
            text += "   <crs:\(entry.key)>\n    <rdf:Seq>\n"
            var index = 0
            while index + 1 < points.count {
                text += "     <rdf:li>\(points[index]), \(points[index + 1])</rdf:li>\n"
                index += 2
            }
            text += "    </rdf:Seq>\n   </crs:\(entry.key)>\n"
        }
        guard !masks.isEmpty else { return text }
        text += "   <crs:MaskGroupBasedCorrections>\n    <rdf:Seq>\n"
        for mask in masks {
            text += "     <rdf:li>\n      <rdf:Description\n"
            text += "       crs:What=\"Correction\"\n       crs:CorrectionAmount=\"1\"\n"
            text += "       crs:CorrectionActive=\"true\"\n       crs:CorrectionName=\"\(mask.name)\"\n"
            text += "       crs:CorrectionSyncID=\"\(mask.syncID)\"\n"
            for amount in mask.amounts {
                if case .number(let number, _) = amount.value {
                    text += "       crs:\(amount.key)=\"\(number.formatted())\"\n"
                }
            }
            text += "       >\n      <crs:CorrectionMasks>\n       <rdf:Seq>\n        <rdf:li\n"
            text += "         crs:What=\"\(mask.what)\"\n         crs:MaskValue=\"1\"\n"
            text += "         crs:MaskID=\"\(mask.maskID)\"\n         crs:MaskVersion=\"1\"\n"
            for field in mask.geometry {
                switch field.value {
                case .number(let number, _): text += "         crs:\(field.key)=\"\(number.formatted())\"\n"
                case .text(let string): text += "         crs:\(field.key)=\"\(string.xmlEscaped)\"\n"
                default: break
                }
            }
            if mask.dabs.isEmpty {
                text += "         />\n"
            } else {
                text += "         >\n        <crs:Dabs>\n         <rdf:Seq>\n"
                for dab in mask.dabs { text += "          <rdf:li>\(dab)</rdf:li>\n" }
                text += "         </rdf:Seq>\n        </crs:Dabs>\n        </rdf:li>\n"
            }
            text += "       </rdf:Seq>\n      </crs:CorrectionMasks>\n      </rdf:Description>\n     </rdf:li>\n"
        }
        text += "    </rdf:Seq>\n   </crs:MaskGroupBasedCorrections>\n"
        return text
    }
}

extension String {
    /// The string with `&`, `<`, `>` and `"` escaped for XML attribute values and text.
    var xmlEscaped: String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in self {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The string with every `"` replaced by `replacement`.
    func replacingQuotes(with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == "\"" { result += replacement } else { result.append(character) }
        }
        return result
    }
}
