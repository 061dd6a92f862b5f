// Reading a catalog back and changing it the way a later Lightroom session does.

/// An image as the catalog knows it, with where its files are.
struct CatalogImage {
    var id: Int64
    var globalID: String
    var fileID: Int64
    var baseName: String
    var fileExtension: String
    var sidecarExtension: String
    var folderID: Int64
    /// e.g. `2024/2024-06-12 Wedding/`
    var pathFromRoot: String
    var rating: Int
    var pick: Int

    var isDNG: Bool { fileExtension == "DNG" }
    /// `Photos/2024/2024-06-12 Wedding/DSC_0412.NEF`
    var relativePath: String { "Photos/" + pathFromRoot + baseName + "." + fileExtension }
    /// The sidecar's path, or nil when there is none.
    var sidecarRelativePath: String? {
        sidecarExtension.isEmpty ? nil : "Photos/" + pathFromRoot + baseName + "." + sidecarExtension
    }
}

extension LightroomCatalog {
    /// Every image with its file and folder, in `id_local` order.
    func images() throws(PhotoFixtureError) -> [CatalogImage] {
        let rows = try database.prepare("""
            SELECT i.id_local, i.id_global, f.id_local, f.baseName, f.extension, ifnull(f.sidecarExtensions, ''),
                   fo.id_local, fo.pathFromRoot, ifnull(i.rating, 0), i.pick
            FROM Adobe_images i
            JOIN AgLibraryFile f ON i.rootFile = f.id_local
            JOIN AgLibraryFolder fo ON f.folder = fo.id_local
            ORDER BY i.id_local
            """)
        var result: [CatalogImage] = []
        while try rows.step() {
            result.append(CatalogImage(
                id: rows.integer(0), globalID: rows.text(1) ?? "", fileID: rows.integer(2), baseName: rows.text(3) ?? "",
                fileExtension: rows.text(4) ?? "", sidecarExtension: rows.text(5) ?? "", folderID: rows.integer(6),
                pathFromRoot: rows.text(7) ?? "", rating: Int(rows.integer(8)), pick: Int(rows.integer(9))))
        }
        return result
    }

    /// The develop settings text of `image`.
    func developText(image: Int64) throws(PhotoFixtureError) -> String {
        try database.text("SELECT text FROM Adobe_imageDevelopSettings WHERE image = ?", [.integer(image)]) ?? ""
    }

    /// Replaces the develop settings of `image` and records each change as a history step.
    func updateDevelop(image: Int64, text: String, changes: [SettingsTextEditor.Change],
                       time: CivilTime, rng: inout FixtureRandom) throws(PhotoFixtureError) {
        try run("UPDATE Adobe_imageDevelopSettings SET text = ?, digest = ?, hasDevelopAdjustments = 1 WHERE image = ?",
                [.text(text), .text(Hex.string(StableHash.of(text), digits: 16)), .integer(image)])
        var when = time
        for change in changes {
            try run("""
                INSERT INTO Adobe_libraryImageDevelopHistoryStep (id_global, dateCreated, digest, hasDevelopAdjustments,
                    image, name, relValueString, text, valueString)
                VALUES (?, ?, ?, 1, ?, ?, '', ?, ?)
                """,
                    [.text(rng.uuid()), .real(when.cocoaSeconds), .text(rng.digest()), .integer(image),
                     .text(DevelopHistory.displayName(change.key)), .text(text), .text(change.value)])
            when = when.adding(Int64(rng.int(in: 3...60)))
        }
        try touch(image: image, time: when)
    }

    /// Marks `image` as edited at `time`.
    func touch(image: Int64, time: CivilTime) throws(PhotoFixtureError) {
        try run("UPDATE Adobe_images SET touchCount = touchCount + 1, touchTime = ? WHERE id_local = ?",
                [.real(time.cocoaSeconds), .integer(image)])
    }

    /// The XMP Lightroom keeps for `image`.
    func xmp(image: Int64) throws(PhotoFixtureError) -> String {
        try database.text("SELECT xmp FROM Adobe_AdditionalMetadata WHERE image = ?", [.integer(image)]) ?? ""
    }

    /// Stores `xmp` for `image` as synchronised with its file at `time`.
    func setXMP(image: Int64, xmp: String, time: CivilTime) throws(PhotoFixtureError) {
        try run("""
            UPDATE Adobe_AdditionalMetadata SET xmp = ?, internalXmpDigest = ?, externalXmpIsDirty = 0,
                lastSynchronizedTimestamp = ? WHERE image = ?
            """,
                [.text(xmp), .text(Hex.string(StableHash.of(xmp), digits: 16, upperCase: false)),
                 .real(time.cocoaSeconds), .integer(image)])
    }

    /// Sets the star rating of `image`.
    func setRating(image: Int64, rating: Int) throws(PhotoFixtureError) {
        try run("UPDATE Adobe_images SET rating = ? WHERE id_local = ?", [.integer(Int64(rating)), .integer(image)])
    }

    /// Renames the folder at `oldPath` (e.g. `2024/2024-06-12 Wedding/`) and every folder below it.
    func renameFolder(from oldPath: String, to newPath: String) throws(PhotoFixtureError) {
        try run("""
            UPDATE AgLibraryFolder SET pathFromRoot = ? || substr(pathFromRoot, ?)
            WHERE rootFolder = ? AND substr(pathFromRoot, 1, ?) = ?
            """,
                [.text(newPath), .integer(Int64(oldPath.unicodeScalars.count + 1)), .integer(rootFolder),
                 .integer(Int64(oldPath.unicodeScalars.count)), .text(oldPath)])
        for (path, id) in folderIDs where path.hasPrefix(oldPath) {
            folderIDs[path] = nil
            folderIDs[newPath + String(path.dropFirst(oldPath.count))] = id
        }
    }

    /// Removes an image and every row that refers to it.
    func remove(_ image: CatalogImage) throws(PhotoFixtureError) {
        for table in ["Adobe_imageDevelopSettings", "Adobe_libraryImageDevelopHistoryStep",
                      "Adobe_libraryImageDevelopSnapshot", "AgHarvestedExifMetadata", "AgLibraryKeywordImage",
                      "Adobe_AdditionalMetadata"] {
            try run("DELETE FROM \(table) WHERE image = ?", [.integer(image.id)])
        }
        try run("DELETE FROM Adobe_images WHERE id_local = ?", [.integer(image.id)])
        try run("DELETE FROM AgLibraryFile WHERE id_local = ?", [.integer(image.fileID)])
    }
}
