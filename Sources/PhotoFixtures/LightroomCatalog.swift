// The Lightroom Classic catalog (`Catalog.lrcat`): a real SQLite database with Lightroom's core tables.

/// A Lightroom-like catalog: schema, variables, and one set of rows per photo.
///
/// Holds its SQLite connection and prepared statements; `close()` releases them.
final class LightroomCatalog {
    let database: SQLiteDatabase
    let path: String
    private var rng: FixtureRandom
    /// Folder ids by `pathFromRoot`.
    var folderIDs: [String: Int64] = [:]
    private var keywordIDs: [String: Int64] = [:]
    private var internedIDs: [String: Int64] = [:]
    private var rootFolderID: Int64 = 0
    /// `id_local` of the root folder (`Photos/`).
    var rootFolder: Int64 { rootFolderID }
    private var rootKeywordID: Int64 = 0
    private var statements: [String: SQLiteStatement] = [:]

    /// Where the root folder (`Photos/`) is relative to the catalog's folder.
    static let rootFolderRelativePath = "../Photos/"

    private init(database: SQLiteDatabase, path: String, rng: FixtureRandom) {
        self.database = database
        self.path = path
        self.rng = rng
    }

    /// Creates a new catalog at `path` with the schema and the root folder.
    static func create(at path: String, seed: UInt64, photographer: String) throws(PhotoFixtureError) -> LightroomCatalog {
        let database = try SQLiteDatabase(path: path, create: true)
        let catalog = LightroomCatalog(database: database, path: path, rng: FixtureRandom(seed: seed, stream: Streams.catalog))
        try database.execute("PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        try database.execute(CatalogSchema.statements)
        try catalog.begin()
        let rootID = catalog.rng.uuid()
        try catalog.run("INSERT INTO AgLibraryRootFolder (id_global, absolutePath, name, relativePathFromCatalog) VALUES (?, ?, ?, ?)",
                        [.text(rootID), .text("/Users/\(photographer.split(separator: " ").first.map(String.init)?.lowercased() ?? "photo")/Pictures/Photos/"),
                         .text("Photos"), .text(rootFolderRelativePath)])
        catalog.rootFolderID = database.lastInsertRowID
        try catalog.run("INSERT INTO AgLibraryKeyword (id_global, dateCreated, genealogy, lc_name, name, parent) VALUES (?, ?, '', NULL, NULL, NULL)",
                        [.text(catalog.rng.uuid()), .real(0)])
        catalog.rootKeywordID = database.lastInsertRowID
        for (name, value) in [("Adobe_DBVersion", "1300025"), ("Adobe_storeProviderID", catalog.rng.uuid()),
                              ("AgLibraryKeyword_rootTagID", String(catalog.rootKeywordID)),
                              ("Adobe_entityIDCounter", "1000000")] {
            try catalog.setVariable(name, value)
        }
        return catalog
    }

    /// Opens an existing catalog for editing (journal on, so a failed session leaves it intact).
    static func open(at path: String, seed: UInt64) throws(PhotoFixtureError) -> LightroomCatalog {
        guard case .file = try FileSystem.entry(at: path) else {
            throw PhotoFixtureError(kind: .notAPhotoSet, operation: "open catalog", path: path,
                                    detail: "no Lightroom catalog here; generate a photo set first")
        }
        let database = try SQLiteDatabase(path: path, create: false)
        let catalog = LightroomCatalog(database: database, path: path, rng: FixtureRandom(seed: seed, stream: Streams.catalog ^ 0xE))
        try database.execute("PRAGMA journal_mode = DELETE; PRAGMA synchronous = NORMAL;")
        catalog.rootFolderID = try database.integer("SELECT id_local FROM AgLibraryRootFolder ORDER BY id_local LIMIT 1")
        catalog.rootKeywordID = try database.integer("SELECT id_local FROM AgLibraryKeyword WHERE parent IS NULL ORDER BY id_local LIMIT 1")
        let folders = try database.prepare("SELECT id_local, pathFromRoot FROM AgLibraryFolder")
        while try folders.step() { catalog.folderIDs[folders.text(1) ?? ""] = folders.integer(0) }
        let keywords = try database.prepare("SELECT id_local, name FROM AgLibraryKeyword WHERE parent IS NOT NULL")
        while try keywords.step() { catalog.keywordIDs[keywords.text(1) ?? ""] = keywords.integer(0) }
        for table in ["AgInternedExifCameraModel", "AgInternedExifCameraSN", "AgInternedExifLens"] {
            let rows = try database.prepare("SELECT id_local, value FROM \(table)")
            while try rows.step() { catalog.internedIDs[table + "/" + (rows.text(1) ?? "")] = rows.integer(0) }
        }
        return catalog
    }

    func begin() throws(PhotoFixtureError) { try database.execute("BEGIN") }
    func commit() throws(PhotoFixtureError) { try database.execute("COMMIT") }

    /// Releases statements and closes the database.
    func close() throws(PhotoFixtureError) {
        statements.removeAll()
        try database.close()
    }

    /// Runs `sql` with `values` through a cached prepared statement.
    func run(_ sql: String, _ values: [SQLiteValue]) throws(PhotoFixtureError) {
        try statement(sql).run(values)
    }

    /// A cached prepared statement for `sql`.
    func statement(_ sql: String) throws(PhotoFixtureError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let prepared = try database.prepare(sql)
        statements[sql] = prepared
        return prepared
    }

    /// Sets a row of `Adobe_variablesTable`.
    func setVariable(_ name: String, _ value: String) throws(PhotoFixtureError) {
        let existing = try database.integer("SELECT count(*) FROM Adobe_variablesTable WHERE name = ?", [.text(name)])
        if existing > 0 {
            try run("UPDATE Adobe_variablesTable SET value = ? WHERE name = ?", [.text(value), .text(name)])
        } else {
            try run("INSERT INTO Adobe_variablesTable (id_global, name, type, value) VALUES (?, ?, NULL, ?)",
                    [.text(rng.uuid()), .text(name), .text(value)])
        }
    }

    /// A row of `Adobe_variablesTable`, or nil.
    func variable(_ name: String) throws(PhotoFixtureError) -> String? {
        try database.text("SELECT value FROM Adobe_variablesTable WHERE name = ?", [.text(name)])
    }

    /// The id of the folder `pathFromRoot` (e.g. `2024/2024-06-12 Wedding/`), creating it and its parents.
    func folderID(_ pathFromRoot: String) throws(PhotoFixtureError) -> Int64 {
        if let id = folderIDs[pathFromRoot] { return id }
        var parent: SQLiteValue = .null
        let trimmed = pathFromRoot.dropLast()
        if let slash = trimmed.lastIndex(of: "/") {
            parent = .integer(try folderID(String(trimmed[...slash])))
        }
        try run("INSERT INTO AgLibraryFolder (id_global, parentId, pathFromRoot, rootFolder, visibility) VALUES (?, ?, ?, ?, NULL)",
                [.text(rng.uuid()), parent, .text(pathFromRoot), .integer(rootFolderID)])
        let id = database.lastInsertRowID
        folderIDs[pathFromRoot] = id
        return id
    }

    /// The id of a keyword under the root keyword, creating it.
    func keywordID(_ name: String, time: CivilTime) throws(PhotoFixtureError) -> Int64 {
        if let id = keywordIDs[name] { return id }
        try run("""
            INSERT INTO AgLibraryKeyword (id_global, dateCreated, genealogy, imageCountCache, keywordType, lastApplied, lc_name, name, parent)
            VALUES (?, ?, ?, -1, NULL, ?, ?, ?, ?)
            """,
                [.text(rng.uuid()), .real(time.cocoaSeconds), .text(""), .real(time.cocoaSeconds), .text(name.lowercased()),
                 .text(name), .integer(rootKeywordID)])
        let id = database.lastInsertRowID
        let genealogy = "/\(String(rootKeywordID).count)\(rootKeywordID)/\(String(id).count)\(id)"
        try run("UPDATE AgLibraryKeyword SET genealogy = ? WHERE id_local = ?", [.text(genealogy), .integer(id)])
        keywordIDs[name] = id
        return id
    }

    /// Tags `image` with `keyword`.
    func tag(image: Int64, keyword: String, time: CivilTime) throws(PhotoFixtureError) {
        let tag = try keywordID(keyword, time: time)
        try run("INSERT INTO AgLibraryKeywordImage (image, tag) VALUES (?, ?)", [.integer(image), .integer(tag)])
    }

    private func interned(_ table: String, _ value: String) throws(PhotoFixtureError) -> Int64 {
        if let id = internedIDs[table + "/" + value] { return id }
        try run("INSERT INTO \(table) (searchIndex, value) VALUES (?, ?)", [.text("/T" + value.lowercased() + "/"), .text(value)])
        let id = database.lastInsertRowID
        internedIDs[table + "/" + value] = id
        return id
    }

    /// Inserts the rows of one imported photo: file, image, develop settings and history, EXIF, keywords, XMP.
    /// Returns the image's `id_local`.
    @discardableResult
    func insert(_ photo: PhotoPlan, raw: WrittenRaw, xmp: String) throws(PhotoFixtureError) -> Int64 {
        let folder = try folderID(photo.folder + "/")
        let camera = photo.camera
        try run("""
            INSERT INTO AgLibraryFile (id_global, baseName, extension, externalModTime, folder, idx_filename, importHash,
                lc_idx_filename, lc_idx_filenameExtension, md5, modTime, originalFilename, sidecarExtensions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
            """,
                [.text(rng.uuid()), .text(photo.baseName), .text(camera.fileExtension),
                 .real(photo.captureTime.adding(1).cocoaSeconds), .integer(folder), .text(photo.fileName),
                 .text("\(photo.captureTime.exifString)\(photo.fileName)\(raw.bytes)"),
                 .text(photo.fileName.lowercased()), .text(camera.fileExtension.lowercased()),
                 .real(photo.captureTime.adding(1).cocoaSeconds), .text(photo.fileName),
                 .text(camera.isDNG ? "" : "xmp")])
        let file = database.lastInsertRowID
        let finalStep = DevelopHistory.final(photo)
        try run("""
            INSERT INTO Adobe_images (id_global, aspectRatioCache, bitDepth, captureTime, colorChannels, colorLabels,
                colorMode, developSettingsIDCache, fileFormat, fileHeight, fileWidth, hasMissingSidecars, orientation,
                originalCaptureTime, pick, positionInFolder, rating, rootFile, sidecarStatus, touchCount, touchTime)
            VALUES (?, ?, 16, ?, 3, ?, -1, ?, ?, ?, ?, 0, 'AB', ?, ?, 'z', ?, ?, ?, ?, ?)
            """,
                [.text(photo.imageID), .real(Double(raw.width) / Double(max(raw.height, 1))),
                 .text(photo.captureTime.isoString), .text(photo.colorLabel), .text(rng.uuid()),
                 .text(camera.isDNG ? "DNG" : "RAW"), .integer(Int64(raw.height)), .integer(Int64(raw.width)),
                 .text(photo.captureTime.isoString), .integer(Int64(photo.pick)), .integer(Int64(photo.rating)),
                 .integer(file), camera.isDNG ? .null : .integer(0), .integer(Int64(photo.historySteps)),
                 .real(finalStep.time.cocoaSeconds)])
        let image = database.lastInsertRowID

        var stepIndex = 0
        try DevelopHistory.walk(photo) { (step: DevelopStep) throws(PhotoFixtureError) in
            let text = step.settings.luaText
            try run("""
                INSERT INTO Adobe_libraryImageDevelopHistoryStep (id_global, dateCreated, digest, hasDevelopAdjustments,
                    image, name, relValueString, text, valueString)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                    [.text(rng.uuid()), .real(step.time.cocoaSeconds), .text(rng.digest()), .integer(stepIndex == 0 ? 0 : 1),
                     .integer(image), .text(step.name), .text(""), .text(text), .text(step.valueString)])
            stepIndex += 1
        }
        let settings = finalStep.settings
        let text = settings.luaText
        try run("""
            INSERT INTO Adobe_imageDevelopSettings (allowFastRender, croppedHeight, croppedWidth, digest, fileHeight,
                fileWidth, grayscale, hasBigData, hasDevelopAdjustments, hasDevelopAdjustmentsEx, historySettingsID,
                image, processVersion, settingsID, text, validatedForVersion, whiteBalance)
            VALUES (1, ?, ?, ?, ?, ?, 0, 0, ?, 1, ?, ?, '11.0', ?, ?, 1300025, ?)
            """,
                [.integer(Int64(raw.height)), .integer(Int64(raw.width)), .text(Hex.string(StableHash.of(text), digits: 16)),
                 .integer(Int64(raw.height)), .integer(Int64(raw.width)), .integer(stepIndex > 1 ? 1 : 0),
                 .text(rng.uuid()), .integer(image), .text(rng.uuid()), .text(text), .text(settings.whiteBalance)])
        if photo.rating >= 4 {
            try run("""
                INSERT INTO Adobe_libraryImageDevelopSnapshot (id_global, digest, hasDevelopAdjustments, image, locked, name, snapshotID, text)
                VALUES (?, ?, 1, ?, 0, ?, ?, ?)
                """,
                    [.text(rng.uuid()), .text(rng.digest()), .integer(image), .text("Final \(photo.captureTime.dayString)"),
                     .text(rng.uuid()), .text(text)])
        }

        let aperture = ExposureTable.apertures[photo.apertureIndex]
        let shutter = ExposureTable.shutterSpeeds[photo.shutterIndex]
        let date = photo.captureTime.components
        try run("""
            INSERT INTO AgHarvestedExifMetadata (image, aperture, cameraModelRef, cameraSNRef, dateDay, dateMonth, dateYear,
                flashFired, focalLength, hasGPS, isoSpeedRating, lensRef, shutterSpeed)
            VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, ?)
            """,
                [.integer(image), .real(aperture.1), .integer(try interned("AgInternedExifCameraModel", camera.model)),
                 .integer(try interned("AgInternedExifCameraSN", photo.bodySerial)), .real(Double(date.day)),
                 .real(Double(date.month)), .real(Double(date.year)), .real(Double(photo.focalLength)),
                 .real(Double(photo.iso)), .integer(try interned("AgInternedExifLens", photo.lens.model)), .real(shutter.2)])
        for keyword in photo.keywords { try tag(image: image, keyword: keyword, time: photo.importTime) }
        try run("""
            INSERT INTO Adobe_AdditionalMetadata (id_global, additionalInfoSet, embeddedXmp, externalXmpIsDirty, image,
                incrementalWhiteBalance, internalXmpDigest, isRawFile, lastSynchronizedHash, lastSynchronizedTimestamp,
                metadataVersion, monochrome, xmp)
            VALUES (?, 1, ?, 0, ?, 0, ?, 1, ?, ?, 4.0, 0, ?)
            """,
                [.text(rng.uuid()), .integer(camera.isDNG ? 1 : 0), .integer(image),
                 .text(Hex.string(StableHash.of(xmp), digits: 16, upperCase: false)), .text(rng.digest()),
                 .real(finalStep.time.cocoaSeconds), .text(xmp)])
        return image
    }
}
