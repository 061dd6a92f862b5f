// Editing sessions: change a generated set the way a photographer's working day does.

extension PhotoSet {
    /// Applies editing session `session` (1, 2, 3, ... in turn) to the set at `root`:
    ///
    /// - deletes a rejected RAW with its sidecar and previews, and its catalog rows;
    /// - updates the develop settings of 5-10 % of the images in the catalog, with history steps;
    /// - rewrites about 5 % of the XMP sidecars (rating, a keyword, `crs:` values, history);
    /// - saves metadata into about 10 % of the DNGs: 100-3000 bytes inserted into the XMP packet
    ///   near the start, so every later byte shifts;
    /// - deletes about 3 % of the previews;
    /// - imports 2-6 new photos into a new dated folder, with sidecars, previews and catalog rows;
    /// - renames one dated folder (`2024-06-12 Wedding` -> `2024-06-12 Wedding Smith`) on disk and in the catalog.
    ///
    /// Every file written gets a modification time on the session's day, later than anything before.
    /// The result depends only on the set, `session` and `seed`.
    ///
    /// - Throws: `.notAPhotoSet` when `root` holds no generated set, `.sessionAlreadyApplied` when
    ///   `session` is not greater than the last session applied, `.fileSystem` or `.catalog` when a
    ///   change fails (the catalog transaction is then rolled back, file changes already made stay).
    public static func edit(at root: String, session: Int, seed: UInt64) throws(PhotoFixtureError) -> EditSummary {
        let catalogFile = root + "/" + catalogPath
        guard session > 0 else {
            throw PhotoFixtureError(kind: .sessionAlreadyApplied, operation: "apply editing session \(session) to",
                                    path: root, detail: "sessions are numbered from 1")
        }
        let catalog = try LightroomCatalog.open(at: catalogFile, seed: seed &+ UInt64(session))
        guard let generatedText = try catalog.variable(CatalogVariables.generatedAt),
              let generated = Int64(generatedText) else {
            throw PhotoFixtureError(kind: .notAPhotoSet, operation: "apply an editing session to", path: catalogFile,
                                    detail: "this catalog was not made by the photo-set generator")
        }
        let lastSession = Int(try catalog.variable(CatalogVariables.lastSession) ?? "0") ?? 0
        guard session > lastSession else {
            throw PhotoFixtureError(
                kind: .sessionAlreadyApplied, operation: "apply editing session \(session) to", path: root,
                detail: "session \(lastSession) has already been applied; continue with session \(lastSession + 1)")
        }
        var editor = try SessionEditor(root: root, catalog: catalog, session: session, seed: seed,
                                       generatedAt: CivilTime(seconds: generated))
        try catalog.begin()
        try editor.run()
        try catalog.setVariable(CatalogVariables.lastSession, String(session))
        try catalog.commit()
        try catalog.close()
        return try editor.finish()
    }
}

/// The state of one editing session while it runs.
private struct SessionEditor {
    let root: String
    let catalog: LightroomCatalog
    let session: Int
    let seed: UInt64
    let writer: PhotoWriter
    var rng: FixtureRandom
    var clock: CivilTime
    var summary: EditSummary
    var images: [CatalogImage]

    init(root: String, catalog: LightroomCatalog, session: Int, seed: UInt64, generatedAt: CivilTime) throws(PhotoFixtureError) {
        self.root = root
        self.catalog = catalog
        self.session = session
        self.seed = seed
        writer = PhotoWriter(root: root)
        rng = FixtureRandom(seed: seed, stream: Streams.edit(session))
        let day = generatedAt.startOfDay.adding(Int64(session) * 2 * 86_400)
        clock = day.adding(Int64(9 * 3600 + rng.int(in: 0...7200)))
        summary = EditSummary(session: session)
        summary.catalogBytesBefore = try FileSystem.fileSize(root + "/" + PhotoSet.catalogPath)
        images = try catalog.images()
        if images.isEmpty {
            throw PhotoFixtureError(kind: .notAPhotoSet, operation: "apply an editing session to", path: root,
                                    detail: "the catalog lists no photos")
        }
    }

    private mutating func tick() { clock = clock.adding(Int64(rng.int(in: 15...400))) }

    private func path(_ relative: String) -> String { root + "/" + relative }

    mutating func run() throws(PhotoFixtureError) {
        let previews = try previewFiles()
        try deleteRejected()
        try editDevelopSettings()
        try editSidecars()
        try saveMetadataIntoDNGs()
        try deletePreviews(previews)
        try importShoot()
        try renameFolder()
    }

    /// Settles directory times and completes the summary once the catalog is closed.
    mutating func finish() throws(PhotoFixtureError) -> EditSummary {
        let catalogFile = path(PhotoSet.catalogPath)
        try FileSystem.setTime(catalogFile, to: clock)
        summary.catalogBytesAfter = try FileSystem.fileSize(catalogFile)
        summary.modifiedFiles.append(PhotoSet.catalogPath)
        summary.modifiedBytes += summary.catalogBytesAfter
        try FileSystem.settleDirectoryTimes(below: root, fallback: clock)
        return summary
    }

    // MARK: Steps

    private mutating func deleteRejected() throws(PhotoFixtureError) {
        let candidates = images.filter { $0.sidecarRelativePath != nil }
        guard images.count >= 4, !candidates.isEmpty else { return }
        let rejects = candidates.filter { $0.pick == -1 }
        let image = rng.pick(rejects.isEmpty ? candidates : rejects)
        try delete(image.relativePath)
        if let sidecar = image.sidecarRelativePath { try delete(sidecar) }
        let folder = PreviewCache.folder(imageID: image.globalID)
        if case .directory = try FileSystem.entry(at: path(folder)) {
            for name in try FileSystem.directoryEntries(path(folder)) where name.hasPrefix(image.globalID) {
                try delete(folder + "/" + name)
            }
        }
        try catalog.remove(image)
        images.removeAll { $0.id == image.id }
        tick()
    }

    private mutating func editDevelopSettings() throws(PhotoFixtureError) {
        let count = max(1, images.count * rng.int(in: 5...10) / 100)
        for index in rng.sample(count, of: images.count) {
            let image = images[index]
            let (text, changes) = SettingsTextEditor.tweakLua(try catalog.developText(image: image.id),
                                                              count: rng.int(in: 1...3), using: &rng)
            guard !changes.isEmpty else { continue }
            try catalog.updateDevelop(image: image.id, text: text, changes: changes, time: clock, rng: &rng)
            summary.developEdits += 1
            tick()
        }
    }

    private mutating func editSidecars() throws(PhotoFixtureError) {
        let candidates = images.filter { $0.sidecarRelativePath != nil }
        guard !candidates.isEmpty else { return }
        for index in rng.sample(max(1, candidates.count * 5 / 100), of: candidates.count) {
            let image = candidates[index]
            guard let sidecar = image.sidecarRelativePath else { continue }
            var text = String(decoding: try FileSystem.readFile(path(sidecar)), as: UTF8.self)
            let rating = (image.rating + rng.int(in: 1...4)) % 6
            text = SettingsTextEditor.setAttribute("xmp:Rating", to: String(rating), in: text)
            text = SettingsTextEditor.tweakXMP(text, count: rng.int(in: 1...3), using: &rng).0
            text = SettingsTextEditor.setAttribute("xmp:ModifyDate", to: clock.xmpString, in: text)
            text = SettingsTextEditor.setAttribute("xmp:MetadataDate", to: clock.xmpString, in: text)
            text = SettingsTextEditor.setAttribute("xmpMM:InstanceID", to: "xmp.iid:" + rng.digest().uppercased(), in: text)
            if rng.chance(0.6) {
                let keyword = rng.pick(Vocabulary.generalKeywords)
                if text.firstRange(of: "<rdf:li>\(keyword.xmlEscaped)</rdf:li>") == nil {
                    text = SettingsTextEditor.insert("     <rdf:li>\(keyword.xmlEscaped)</rdf:li>\n",
                                                     before: XMPPacket.subjectEnd, in: text)
                    try catalog.tag(image: image.id, keyword: keyword, time: clock)
                }
            }
            let event = XMPPacket.historyEvent(instanceID: rng.digest().uppercased(), when: clock, changed: "/metadata")
            text = SettingsTextEditor.insert(event, before: XMPPacket.historyEnd, in: text)
            let bytes = Array(text.utf8)
            try FileSystem.writeFile(path(sidecar), bytes, time: clock)
            try catalog.setRating(image: image.id, rating: rating)
            try catalog.setXMP(image: image.id, xmp: text, time: clock)
            try catalog.touch(image: image.id, time: clock)
            summary.modifiedFiles.append(sidecar)
            summary.modifiedBytes += Int64(bytes.count)
            summary.sidecarEdits += 1
            tick()
        }
    }

    private mutating func saveMetadataIntoDNGs() throws(PhotoFixtureError) {
        let dngs = images.filter(\.isDNG)
        guard !dngs.isEmpty else { return }
        for index in rng.sample(max(1, dngs.count / 10), of: dngs.count) {
            let image = dngs[index]
            let target = rng.int(in: 100...3000)
            var insertion = ""
            while insertion.utf8.count < target {
                insertion += XMPPacket.historyEvent(instanceID: rng.digest().uppercased(), when: clock, changed: "/metadata")
            }
            let write = try DNGMetadataWriter.insert(Array(insertion.utf8), intoFileAt: path(image.relativePath),
                                                     relativePath: image.relativePath, time: clock)
            let stored = try catalog.xmp(image: image.id)
            try catalog.setXMP(image: image.id, xmp: SettingsTextEditor.insert(insertion, before: XMPPacket.historyEnd, in: stored),
                               time: clock)
            try catalog.touch(image: image.id, time: clock)
            summary.metadataWrites.append(write)
            summary.modifiedFiles.append(image.relativePath)
            summary.modifiedBytes += try FileSystem.fileSize(path(image.relativePath))
            tick()
        }
    }

    private func previewFiles() throws(PhotoFixtureError) -> [String] {
        var files: [String] = []
        let top = PreviewCache.directory
        guard case .directory = try FileSystem.entry(at: path(top)) else { return [] }
        for first in try FileSystem.directoryEntries(path(top)) {
            let level1 = top + "/" + first
            guard case .directory = try FileSystem.entry(at: path(level1)) else { continue }
            for second in try FileSystem.directoryEntries(path(level1)) {
                let level2 = level1 + "/" + second
                guard case .directory = try FileSystem.entry(at: path(level2)) else { continue }
                for name in try FileSystem.directoryEntries(path(level2)) where name.hasSuffix(".lrprev") {
                    files.append(level2 + "/" + name)
                }
            }
        }
        return files
    }

    private mutating func deletePreviews(_ previews: [String]) throws(PhotoFixtureError) {
        let gone = Set(summary.deletedFiles)
        let candidates = previews.filter { !gone.contains($0) }
        for index in rng.sample(max(1, candidates.count * 3 / 100), of: candidates.count) {
            try delete(candidates[index])
        }
    }

    private mutating func importShoot() throws(PhotoFixtureError) {
        func number(_ name: String, _ fallback: Int) throws(PhotoFixtureError) -> Int {
            Int(try catalog.variable(name) ?? "") ?? fallback
        }
        let rawMin = try number(CatalogVariables.rawSizeMin, 100 * 1024)
        let rawMax = max(rawMin, try number(CatalogVariables.rawSizeMax, 400 * 1024))
        let previewMin = try number(CatalogVariables.previewSizeMin, 10 * 1024)
        let previewMax = max(previewMin, try number(CatalogVariables.previewSizeMax, 60 * 1024))
        let previewPercent = max(100, try number(CatalogVariables.previewsPerPhotoPercent, 100))
        let photographer = try catalog.variable(CatalogVariables.photographer) ?? Vocabulary.photographers[0]

        let day = clock.startOfDay
        let theme = rng.pick(Vocabulary.themes)
        var folder = "\(day.components.year)/\(day.dayString) \(theme.name)"
        if catalog.folderIDs[folder + "/"] != nil { folder += " \(session)" }
        let camera = rng.pick(rng.chance(0.5) ? CameraCatalogue.compressed : CameraCatalogue.uncompressed)
        var counter = rng.int(in: 1...(camera.counterLimit * 9 / 10))
        var capture = day.adding(Int64(6 * 3600 + rng.int(in: 0...3600)))
        var latest = clock
        let count = rng.int(in: 2...6)
        var photos: [PhotoPlan] = []
        for index in 0..<count {
            counter = counter % camera.counterLimit + 1
            var previewCount = previewPercent / 100
            if rng.int(in: 0...99) < previewPercent % 100 { previewCount += 1 }
            var previewSizes: [Int] = []
            for _ in 0..<previewCount {
                previewSizes.append(rng.int(in: previewMin...max(previewMin, (previewMin + previewMax) / 2)))
            }
            photos.append(PhotoPlan.make(
                seed: seed, stream: Streams.edit(session) &+ UInt64(index + 1), camera: camera, counter: counter,
                folder: folder, captureTime: capture, importTime: clock, targetBytes: rng.int(in: rawMin...rawMax),
                themeKeywords: theme.keywords, photographer: photographer, historySteps: rng.int(in: 1...4),
                previewSizes: previewSizes))
            capture = capture.adding(Int64(rng.int(in: 3...240)))
        }
        try writer.write(photos, catalog: catalog) { (_: PhotoPlan, written: WrittenPhoto) throws(PhotoFixtureError) in
            summary.addedFiles.append(written.rawPath)
            summary.addedBytes += written.raw.bytes
            if let sidecar = written.sidecarPath {
                summary.addedFiles.append(sidecar)
                summary.addedBytes += written.sidecarBytes
            }
            summary.addedFiles += written.previewPaths
            summary.addedBytes += written.previewBytes
            latest = max(latest, written.lastTime)
        }
        summary.importedPhotos = count
        clock = latest
        tick()
    }

    private mutating func renameFolder() throws(PhotoFixtureError) {
        let used = Set(images.map(\.pathFromRoot))
        let candidates = catalog.folderIDs.keys
            .filter { $0.split(separator: "/").count == 2 && used.contains($0) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard !candidates.isEmpty else { return }
        // Prefer a folder that has not been renamed yet.
        let fresh = candidates.filter { folder in
            !Vocabulary.folderSuffixes.contains { folder.hasSuffix(" " + $0 + "/") }
        }
        let old = rng.pick(fresh.isEmpty ? candidates : fresh)
        let name = String(old.dropLast())
        var suffix = rng.pick(Vocabulary.folderSuffixes)
        if name.hasSuffix(" " + suffix) { suffix = String(session) }
        let renamed = name + " " + suffix
        let from = "Photos/" + name
        let to = "Photos/" + renamed
        try FileSystem.rename(path(from), to: path(to))
        try catalog.renameFolder(from: old, to: renamed + "/")
        summary.renamedFolders.append(FolderRename(from: from, to: to))
        func moved(_ relative: String) -> String {
            relative.hasPrefix(from + "/") ? to + String(relative.dropFirst(from.count)) : relative
        }
        summary.addedFiles = summary.addedFiles.map(moved)
        summary.modifiedFiles = summary.modifiedFiles.map(moved)
        summary.metadataWrites = summary.metadataWrites.map { write in
            var updated = write
            updated.path = moved(write.path)
            return updated
        }
        tick()
    }

    private mutating func delete(_ relative: String) throws(PhotoFixtureError) {
        let size = try FileSystem.fileSize(path(relative))
        try FileSystem.removeFile(path(relative))
        summary.deletedFiles.append(relative)
        summary.deletedBytes += size
    }
}
