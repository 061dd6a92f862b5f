// LocationTests: a repository location is parsed once into a typed value, written back as the same text, and turned
// into a destination by the registry, including a scheme a library user registers.
@_spi(Benchmarks) import TriplicateCore
import Testing
import Foundation
@testable import Triplicate

@Suite struct LocationTests {
    @Test func everyBuiltInFormParsesToItsTypedValueAndBack() throws {
        let cases: [(String, RepositoryLocation)] = [
            ("/mnt/nas/triplicate", .folder(path: "/mnt/nas/triplicate")),
            ("relative/repo", .folder(path: "relative/repo")),
            ("local:/mnt/a:b", .folder(path: "/mnt/a:b")),
            ("usb:/media/jose/T7/triplicate", .drive(path: "/media/jose/T7/triplicate")),
            ("b2:photos/triplicate", .objectStore(ObjectStoreLocation(service: .backblazeB2, bucket: "photos", prefix: "triplicate"))),
            ("b2:photos", .objectStore(ObjectStoreLocation(service: .backblazeB2, bucket: "photos", prefix: ""))),
            ("s3:http://127.0.0.1:9000/bucket/a/b", .objectStore(ObjectStoreLocation(service: .s3(endpoint: "http://127.0.0.1:9000"), bucket: "bucket", prefix: "a/b"))),
        ]
        for (text, value) in cases {
            let parsed = try RepositoryLocation(text)
            #expect(parsed == value, "\(text)")
            // The text it writes reads back as the same value.
            #expect(try RepositoryLocation(parsed.description) == value, "\(text) -> \(parsed.description)")
        }
        #expect(try RepositoryLocation("b2:photos/triplicate/").description == "b2:photos/triplicate")
    }

    @Test func aMalformedLocationIsRefusedWithHowToWriteIt() {
        let bad: [(String, String)] = [
            ("", "empty"),
            ("ftp:host/x", "unknown repository kind \"ftp\""),
            ("b2:", "no bucket"),
            ("b2:/prefix", "no bucket"),
            ("s3:host/bucket", "s3:https://HOST/BUCKET/PREFIX"),
            ("s3:https://host", "s3:https://HOST/BUCKET/PREFIX"),
            ("usb:", "usb:PATH"),
            ("local:", "local: needs a folder path"),
        ]
        for (text, says) in bad {
            #expect {
                _ = try RepositoryLocation(text)
            } throws: { e in
                guard let e = e as? TriplicateError else { return false }
                return e.kind == .invalidArgument && e.message.contains(says)
            }
        }
    }

    @Test func theRegistryMakesEachBuiltInDestination() throws {
        let env = ["B2_APPLICATION_KEY_ID": "id", "B2_APPLICATION_KEY": "key", "B2_REGION": "eu-central-003"]
        let r = DestinationRegistry.standard
        let folder = try r.destination(for: .folder(path: "/tmp/x"), context: DestinationContext(environment: [:]))
        #expect((folder as? LocalDirectory)?.root == "/tmp/x" && folder.placeKind == .folder && folder.localFolders == ["/tmp/x"])
        let drive = try r.destination(for: .drive(path: "/media/d/repo"), context: DestinationContext(environment: [:], verifyWrites: true))
        #expect((drive as? RemovableDrive)?.verifyWrites == true && drive.placeKind == .removableDrive)
        let b2 = try r.destination(for: try RepositoryLocation("b2:photos/triplicate"), context: DestinationContext(environment: env))
        #expect(b2.displayName == "s3:https://s3.eu-central-003.backblazeb2.com/photos/triplicate" && b2.placeKind == .objectStore)
        // Credentials given in code win over the environment, and may name the endpoint.
        let given = ObjectStoreCredentials(keyID: "k", secret: "s", endpoint: "http://127.0.0.1:1")
        let local = try r.destination(for: try RepositoryLocation("b2:photos"), context: DestinationContext(environment: [:], credentials: given))
        #expect(local.displayName == "s3:http://127.0.0.1:1/photos")
    }

    @Test func aMissingKeyOrRegionIsMissingCredentialsAndARelativeDrivePathIsInvalid() throws {
        let r = DestinationRegistry.standard
        for env in [[:], ["B2_APPLICATION_KEY_ID": "id", "B2_APPLICATION_KEY": "key"]] {
            #expect {
                _ = try r.destination(for: try RepositoryLocation("b2:photos"), context: DestinationContext(environment: env))
            } throws: { e in (e as? TriplicateError)?.kind == .missingCredentials }
        }
        #expect {
            _ = try r.destination(for: .drive(path: "media/d"), context: DestinationContext(environment: [:]))
        } throws: { e in (e as? TriplicateError)?.kind == .invalidArgument }
    }

    struct MemoryFactory: DestinationFactory {
        let store: MemoryDestination
        func destination(for location: RepositoryLocation, context: DestinationContext) throws(TriplicateError) -> any Destination {
            guard case .custom("mem", "photos") = location else { throw TriplicateError(.invalidArgument, "only mem:photos") }
            return store
        }
    }

    @Test func aSchemeALibraryUserRegistersWorksInLocationsAndPlans() async throws {
        var registry = DestinationRegistry.standard
        let store = MemoryDestination()
        registry.register(scheme: "mem", MemoryFactory(store: store))
        #expect(throws: TriplicateError.self) { _ = try RepositoryLocation("mem:photos") }
        let location = try RepositoryLocation("mem:photos", registry: registry)
        #expect(location == .custom(scheme: "mem", address: "photos") && location.description == "mem:photos")
        let d = try registry.destination(for: location)
        _ = try await Repository.initialize(on: d, password: TestKeys.password, options: TestKeys.cheap)
        #expect(try await store.list(prefix: "").contains { $0.name == "config" })

        let plan = try Plan.parse("""
            [[destination]]
            name = "memory"
            repo = "mem:photos"
            media = "nas"
            site = "onsite"
            """, file: "/plans/p.toml", registry: registry)
        #expect(plan.destinations[0].location == location)
        #expect {
            _ = try Plan.parse("[[destination]]\nname = \"m\"\nrepo = \"mem:photos\"\nmedia = \"nas\"\nsite = \"onsite\"\n", file: "/plans/p.toml")
        } throws: { e in
            guard let e = e as? TriplicateError else { return false }
            return e.message.hasPrefix("/plans/p.toml:3: ") && e.message.contains("unknown repository kind \"mem\"")
        }
    }

    @Test func onePlaceWrittenTwoWaysIsOneCopy() {
        #expect {
            _ = try Plan(sources: [], destinations: [
                Plan.Target(name: "a", location: try RepositoryLocation("local:/mnt/nas"), media: .nas, site: .onsite),
                Plan.Target(name: "b", location: try RepositoryLocation("/mnt/nas"), media: .usb, site: .onsite),
            ])
        } throws: { e in (e as? TriplicateError)?.message.contains("is the same place as \"a\"") == true }
    }
}
