// ChunkingProfileTests: which chunking profile a file name selects, and the profiles' recorded IDs and sizes.

@_spi(Benchmarks) import TriplicateCore
import Testing

@testable import TriplicateCore

@Suite("Chunking profiles")
struct ChunkingProfileTests {
    @Test(
        "databases select the database profile",
        arguments: ["Catalog.lrcat", "My Catalog-v13-3.lrcat", "CATALOG.LRCAT", "Catalog.lrcat-wal", "Catalog.lrcat-journal",
                    "Helper.lrcat-data", "previews.db", "photos.sqlite", "x.SQLite3"])
    func database(_ name: String) {
        #expect(ChunkingProfile.forFile(named: name) == .database)
    }

    @Test(
        "camera RAW files, video and large layered files select the media profile, in any case",
        arguments: ["DSC_0001.NEF", "dsc_0001.nef", "IMG_1234.CR3", "photo.dng", "PHOTO.DNG", "Photo.Dng", "clip.MOV",
                    "scan.tiff", "edit.psd", "a.b.c.arw"])
    func media(_ name: String) {
        #expect(ChunkingProfile.forFile(named: name) == .media)
    }

    @Test(
        "sidecars, previews, names without an extension and hidden files select the general profile",
        arguments: ["DSC_0001.xmp", "DSC_0001.XMP", "preview.jpg", "notes.txt", "README", "Makefile", ".lrcat", ".nef",
                    "trailing.", "nef", "lrcat", "archive.nef.zip", "Catalog.lrcat.bak", ""])
    func general(_ name: String) {
        #expect(ChunkingProfile.forFile(named: name) == .general)
    }

    @Test("profiles have the IDs recorded in tree nodes, sizes in order, and are found by ID")
    func profiles() {
        #expect(ChunkingProfile.all.map(\.id) == [1, 2, 3, 4])
        #expect(ChunkingProfile.all.map(\.name) == ["database", "general", "media", "pages"])
        // Profile 4 cuts fixed 256 KiB blocks (a multiple of every SQLite page size, 512 B to 64 KiB), not with FastCDC.
        #expect(ChunkingProfile.pages.isFixedSize && ChunkingProfile.pages.maxSize == 256 << 10)
        #expect(ChunkingProfile.withID(4) == .pages)
        for p in ChunkingProfile.all where !p.isFixedSize {
            #expect(p.minSize < p.averageSize && p.averageSize < p.maxSize)
            #expect(ChunkingProfile.withID(p.id) == p)
            let params = p.parameters(seed: 0xC01A_CC78_21EC_55A5)
            #expect(params.minSize == p.minSize && params.averageSize == p.averageSize && params.maxSize == p.maxSize)
            #expect(params.seed == 0xC01A_CC78_21EC_55A5)
        }
        #expect(ChunkingProfile.withID(0) == nil)
        #expect(ChunkingProfile.withID(5) == nil)
        #expect(ChunkingProfile.database.averageSize == 16 << 10)
        #expect(ChunkingProfile.general.averageSize == 256 << 10)
        #expect(ChunkingProfile.media.averageSize == 2 << 20)
    }
}
