// XMP metadata as Lightroom Classic writes it: `.xmp` sidecars for NEF/ARW and the packet inside a DNG.

/// Builds XMP text for a photo.
enum XMPPacket {
    static let softwareAgent = "Adobe Photoshop Lightroom Classic 13.3 (Macintosh)"
    /// Closes the history sequence; new history events are inserted just before it.
    static let historyEnd = "    </rdf:Seq>\n   </xmpMM:History>\n"
    /// Closes the keyword bag; new keywords are inserted just before it.
    static let subjectEnd = "    </rdf:Bag>\n   </dc:subject>\n"

    /// The sidecar Lightroom writes next to a RAW file, developed with `settings`, saved at `saved`.
    static func sidecar(for photo: PhotoPlan, settings: DevelopSettings, width: Int, height: Int,
                        saved: CivilTime, historyEvents: Int) -> String {
        var text = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        \">\n"
        text += description(for: photo, settings: settings, width: width, height: height, saved: saved,
                            historyEvents: historyEvents, embedded: false)
        text += "</x:xmpmeta>\n"
        return text
    }

    /// The packet inside a DNG: camera metadata and a short history, wrapped in `<?xpacket?>` with padding.
    ///
    /// With `length`, the whitespace padding is sized so the packet takes exactly that many UTF-8 bytes
    /// (if it fits), which lets a RAW header be rebuilt in place once the final image height is known.
    static func embedded(for photo: PhotoPlan, settings: DevelopSettings, width: Int, height: Int,
                         length: Int? = nil) -> String {
        var text = "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
        text += "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        \">\n"
        text += description(for: photo, settings: settings, width: width, height: height, saved: photo.captureTime,
                            historyEvents: 1, embedded: true)
        text += "</x:xmpmeta>\n"
        let trailer = "<?xpacket end=\"w\"?>"
        var padding = 800
        if let length { padding = max(0, length - text.utf8.count - trailer.utf8.count) }
        while padding > 0 {
            let line = min(padding, 100)
            text += String(repeating: " ", count: line - 1) + (line > 0 ? "\n" : "")
            padding -= line
        }
        return text + trailer
    }

    /// One `xmpMM:History` event: a save of `changed` (`/metadata` or `/`) at `when`.
    static func historyEvent(instanceID: String, when: CivilTime, changed: String) -> String {
        "     <rdf:li\n      stEvt:action=\"saved\"\n      stEvt:instanceID=\"xmp.iid:\(instanceID)\"\n"
            + "      stEvt:when=\"\(when.xmpString)\"\n      stEvt:softwareAgent=\"\(softwareAgent)\"\n"
            + "      stEvt:changed=\"\(changed)\"/>\n"
    }

    private static func description(for photo: PhotoPlan, settings: DevelopSettings, width: Int, height: Int,
                                     saved: CivilTime, historyEvents: Int, embedded: Bool) -> String {
        let camera = photo.camera
        let lens = photo.lens
        let shutter = ExposureTable.shutterSpeeds[photo.shutterIndex]
        let aperture = ExposureTable.apertures[photo.apertureIndex]
        var rng = FixtureRandom(seed: photo.detailSeed, stream: 0x0C4D)
        var text = " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
        text += "  <rdf:Description rdf:about=\"\"\n"
        for (prefix, uri) in namespaces { text += "    xmlns:\(prefix)=\"\(uri)\"\n" }
        func attribute(_ name: String, _ value: String) { text += "   \(name)=\"\(value.xmlEscaped)\"\n" }
        attribute("tiff:Make", camera.make)
        attribute("tiff:Model", camera.model)
        attribute("tiff:Orientation", "1")
        attribute("tiff:ImageWidth", String(width))
        attribute("tiff:ImageLength", String(height))
        attribute("exif:ExifVersion", "0231")
        attribute("exif:ExposureTime", "\(shutter.0)/\(shutter.1)")
        attribute("exif:ShutterSpeedValue", "\(Int(shutter.2 * 1_000_000))/1000000")
        attribute("exif:FNumber", "\(aperture.0)/10")
        attribute("exif:ApertureValue", "\(Int(aperture.1 * 1_000_000))/1000000")
        attribute("exif:ExposureProgram", String(rng.pick([1, 2, 3, 3, 3])))
        attribute("exif:SensitivityType", "2")
        attribute("exif:RecommendedExposureIndex", String(photo.iso))
        attribute("exif:ExposureBiasValue", "\(rng.int(in: -6...6))/6")
        attribute("exif:MaxApertureValue", "\(lens.maxAperture)/10")
        attribute("exif:MeteringMode", String(rng.pick([3, 5, 5, 6])))
        attribute("exif:LightSource", "0")
        attribute("exif:FocalLength", "\(photo.focalLength)/1")
        attribute("exif:FocalLengthIn35mmFilm", String(photo.focalLength))
        attribute("exif:DateTimeOriginal", photo.captureTime.isoString + ".00")
        attribute("exifEX:PhotographicSensitivity", String(photo.iso))
        attribute("exifEX:BodySerialNumber", photo.bodySerial)
        attribute("exifEX:LensModel", lens.model)
        attribute("exifEX:LensSerialNumber", photo.lensSerial)
        attribute("aux:SerialNumber", photo.bodySerial)
        attribute("aux:LensInfo", "\(lens.focalRange.lowerBound)/1 \(lens.focalRange.upperBound)/1 \(lens.maxAperture)/10 \(lens.maxAperture)/10")
        attribute("aux:Lens", lens.model)
        attribute("aux:LensID", String(rng.int(in: 1...60_000)))
        attribute("aux:ImageNumber", String(rng.int(in: 1...200_000)))
        attribute("aux:ApproximateFocusDistance", "\(rng.int(in: 30...10_000))/100")
        attribute("aux:FlashCompensation", "0/1")
        attribute("aux:Firmware", camera.firmware)
        attribute("xmp:ModifyDate", saved.xmpString)
        attribute("xmp:CreateDate", photo.captureTime.isoString + ".00")
        attribute("xmp:CreatorTool", camera.firmware)
        attribute("xmp:Rating", String(photo.rating))
        if !photo.colorLabel.isEmpty { attribute("xmp:Label", photo.colorLabel) }
        attribute("xmp:MetadataDate", saved.xmpString)
        attribute("photoshop:DateCreated", photo.captureTime.isoString + ".00")
        attribute("xmpMM:DocumentID", "xmp.did:" + photo.documentID)
        attribute("xmpMM:PreservedFileName", photo.fileName)
        attribute("xmpMM:OriginalDocumentID", photo.documentID)
        attribute("xmpMM:InstanceID", "xmp.iid:" + rng.digest().uppercased())
        if !embedded {
            text += settings.xmpAttributes
            attribute("crs:RawFileName", photo.fileName)
        } else {
            attribute("crs:Version", "16.3")
            attribute("crs:ProcessVersion", "11.0")
            attribute("crs:WhiteBalance", "As Shot")
            attribute("crs:HasSettings", "False")
        }
        text += "   >\n"
        text += "   <dc:creator>\n    <rdf:Seq>\n     <rdf:li>\(photo.photographer.xmlEscaped)</rdf:li>\n    </rdf:Seq>\n   </dc:creator>\n"
        text += "   <dc:rights>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">© \(photo.captureTime.components.year) "
            + "\(photo.photographer.xmlEscaped). All rights reserved.</rdf:li>\n    </rdf:Alt>\n   </dc:rights>\n"
        text += "   <dc:subject>\n    <rdf:Bag>\n"
        for keyword in photo.keywords { text += "     <rdf:li>\(keyword.xmlEscaped)</rdf:li>\n" }
        text += subjectEnd
        text += "   <xmpMM:History>\n    <rdf:Seq>\n"
        var when = embedded ? photo.captureTime : photo.importTime
        for index in 0..<max(1, historyEvents) {
            text += historyEvent(instanceID: rng.digest().uppercased(), when: when, changed: index == 0 ? "/metadata" : "/")
            when = when.adding(Int64(rng.int(in: 30...4000)))
        }
        text += historyEnd
        if !embedded { text += settings.xmpElements }
        text += "  </rdf:Description>\n </rdf:RDF>\n"
        return text
    }

    private static let namespaces: [(String, String)] = [
        ("tiff", "http://ns.adobe.com/tiff/1.0/"),
        ("exif", "http://ns.adobe.com/exif/1.0/"),
        ("exifEX", "http://cipa.jp/exif/1.0/"),
        ("aux", "http://ns.adobe.com/exif/1.0/aux/"),
        ("xmp", "http://ns.adobe.com/xap/1.0/"),
        ("photoshop", "http://ns.adobe.com/photoshop/1.0/"),
        ("xmpMM", "http://ns.adobe.com/xap/1.0/mm/"),
        ("stEvt", "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("crs", "http://ns.adobe.com/camera-raw-settings/1.0/"),
        ("lr", "http://ns.adobe.com/lightroom/1.0/"),
    ]
}
