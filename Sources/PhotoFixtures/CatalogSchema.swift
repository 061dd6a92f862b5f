// The subset of Lightroom Classic's catalog schema the generator fills: tables and indexes as Lightroom declares them.

/// `CREATE` statements for a new catalog.
enum CatalogSchema {
    /// The tables the photo set uses, with Lightroom's column names and indexes.
    static let tables = [
        "Adobe_variablesTable", "AgLibraryRootFolder", "AgLibraryFolder", "AgLibraryFile", "Adobe_images",
        "Adobe_imageDevelopSettings", "Adobe_libraryImageDevelopHistoryStep", "Adobe_libraryImageDevelopSnapshot",
        "AgInternedExifCameraModel", "AgInternedExifCameraSN", "AgInternedExifLens", "AgHarvestedExifMetadata",
        "AgLibraryKeyword", "AgLibraryKeywordImage", "Adobe_AdditionalMetadata",
    ]

    static let statements = """
        CREATE TABLE Adobe_variablesTable (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL, name, type,
            value NOT NULL DEFAULT '');
        CREATE INDEX index_Adobe_variablesTable_name ON Adobe_variablesTable(name);
        CREATE TABLE AgLibraryRootFolder (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL,
            absolutePath UNIQUE NOT NULL DEFAULT '', name NOT NULL DEFAULT '', relativePathFromCatalog);
        CREATE TABLE AgLibraryFolder (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL, parentId INTEGER,
            pathFromRoot NOT NULL DEFAULT '', rootFolder INTEGER NOT NULL DEFAULT 0, visibility INTEGER);
        CREATE UNIQUE INDEX index_AgLibraryFolder_rootFolderAndPath ON AgLibraryFolder(rootFolder, pathFromRoot);
        CREATE TABLE AgLibraryFile (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL, baseName NOT NULL DEFAULT '',
            errorMessage, errorTime, extension NOT NULL DEFAULT '', externalModTime, folder INTEGER NOT NULL DEFAULT 0,
            idx_filename NOT NULL DEFAULT '', importHash, lc_idx_filename NOT NULL DEFAULT '',
            lc_idx_filenameExtension NOT NULL DEFAULT '', md5, modTime, originalFilename NOT NULL DEFAULT '',
            sidecarExtensions);
        CREATE UNIQUE INDEX index_AgLibraryFile_nameAndFolder ON AgLibraryFile(lc_idx_filename, folder);
        CREATE INDEX index_AgLibraryFile_importHash ON AgLibraryFile(importHash);
        CREATE TABLE Adobe_images (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL,
            aspectRatioCache NOT NULL DEFAULT -1, bitDepth NOT NULL DEFAULT 0, captureTime,
            colorChannels NOT NULL DEFAULT 0, colorLabels NOT NULL DEFAULT '', colorMode NOT NULL DEFAULT -1,
            copyCreationTime NOT NULL DEFAULT -63113817600, copyName, copyReason, developSettingsIDCache,
            fileFormat NOT NULL DEFAULT 'unset', fileHeight, fileWidth, hasMissingSidecars INTEGER, masterImage INTEGER,
            orientation, originalCaptureTime, originalRootEntityType, panningDistanceH, panningDistanceV,
            pick NOT NULL DEFAULT 0, positionInFolder NOT NULL DEFAULT 'z', propertiesCache, pyramidIDCache, rating,
            rootFile INTEGER NOT NULL DEFAULT 0, sidecarStatus, touchCount NOT NULL DEFAULT 0,
            touchTime NOT NULL DEFAULT 0);
        CREATE INDEX index_Adobe_images_captureTime ON Adobe_images(captureTime);
        CREATE INDEX index_Adobe_images_rootFile ON Adobe_images(rootFile);
        CREATE INDEX index_Adobe_images_ratingAndCaptureTime ON Adobe_images(rating, captureTime);
        CREATE TABLE Adobe_imageDevelopSettings (id_local INTEGER PRIMARY KEY, allowFastRender INTEGER,
            beforeSettingsIDCache, croppedHeight, croppedWidth, digest, fileHeight, fileWidth, grayscale INTEGER,
            hasBigData INTEGER NOT NULL DEFAULT 0, hasDevelopAdjustments INTEGER, hasDevelopAdjustmentsEx, hasRetouch,
            hasSettings1, hasSettings2, historySettingsID, image INTEGER, processVersion, settingsID, snapshotID, text,
            validatedForVersion, whiteBalance);
        CREATE INDEX index_Adobe_imageDevelopSettings_image ON Adobe_imageDevelopSettings(image);
        CREATE TABLE Adobe_libraryImageDevelopHistoryStep (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL,
            dateCreated, digest, hasDevelopAdjustments, image INTEGER, name, relValueString, text, valueString);
        CREATE INDEX index_Adobe_libraryImageDevelopHistoryStep_imageDateCreated
            ON Adobe_libraryImageDevelopHistoryStep(image, dateCreated);
        CREATE TABLE Adobe_libraryImageDevelopSnapshot (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL, digest,
            hasDevelopAdjustments, image INTEGER, locked, name, snapshotID, text);
        CREATE INDEX index_Adobe_libraryImageDevelopSnapshot_image ON Adobe_libraryImageDevelopSnapshot(image);
        CREATE TABLE AgInternedExifCameraModel (id_local INTEGER PRIMARY KEY, searchIndex, value);
        CREATE INDEX index_AgInternedExifCameraModel_value ON AgInternedExifCameraModel(value);
        CREATE TABLE AgInternedExifCameraSN (id_local INTEGER PRIMARY KEY, searchIndex, value);
        CREATE INDEX index_AgInternedExifCameraSN_value ON AgInternedExifCameraSN(value);
        CREATE TABLE AgInternedExifLens (id_local INTEGER PRIMARY KEY, searchIndex, value);
        CREATE INDEX index_AgInternedExifLens_value ON AgInternedExifLens(value);
        CREATE TABLE AgHarvestedExifMetadata (id_local INTEGER PRIMARY KEY, image INTEGER, aperture,
            cameraModelRef INTEGER, cameraSNRef INTEGER, dateDay, dateMonth, dateYear,
            flashFired INTEGER NOT NULL DEFAULT 0, focalLength, gpsLatitude, gpsLongitude,
            gpsSequence NOT NULL DEFAULT 0, hasGPS INTEGER, isoSpeedRating, lensRef INTEGER, shutterSpeed);
        CREATE UNIQUE INDEX index_AgHarvestedExifMetadata_image ON AgHarvestedExifMetadata(image);
        CREATE TABLE AgLibraryKeyword (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL,
            dateCreated NOT NULL DEFAULT '', genealogy NOT NULL DEFAULT '', imageCountCache DEFAULT -1,
            includeOnExport INTEGER NOT NULL DEFAULT 1, includeParents INTEGER NOT NULL DEFAULT 1,
            includeSynonyms INTEGER NOT NULL DEFAULT 1, keywordType, lastApplied, lc_name, name, parent INTEGER);
        CREATE UNIQUE INDEX index_AgLibraryKeyword_parentAndLcName ON AgLibraryKeyword(parent, lc_name);
        CREATE TABLE AgLibraryKeywordImage (id_local INTEGER PRIMARY KEY, image INTEGER NOT NULL DEFAULT 0,
            tag INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX index_AgLibraryKeywordImage_image ON AgLibraryKeywordImage(image);
        CREATE INDEX index_AgLibraryKeywordImage_tag ON AgLibraryKeywordImage(tag);
        CREATE TABLE Adobe_AdditionalMetadata (id_local INTEGER PRIMARY KEY, id_global UNIQUE NOT NULL,
            additionalInfoSet INTEGER NOT NULL DEFAULT 0, embeddedXmp INTEGER NOT NULL DEFAULT 0,
            externalXmpIsDirty INTEGER NOT NULL DEFAULT 0, image INTEGER,
            incrementalWhiteBalance INTEGER NOT NULL DEFAULT 0, internalXmpDigest, isRawFile INTEGER NOT NULL DEFAULT 0,
            lastSynchronizedHash, lastSynchronizedTimestamp NOT NULL DEFAULT -63113817600, metadataPresetID,
            metadataVersion, monochrome INTEGER NOT NULL DEFAULT 0, xmp NOT NULL DEFAULT '');
        CREATE INDEX index_Adobe_AdditionalMetadata_imageAndStatus ON Adobe_AdditionalMetadata(image, externalXmpIsDirty);
        """
}
