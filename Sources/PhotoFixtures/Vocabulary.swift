// The words a photo set is made of: shoot themes, keywords, folder-name suffixes, photographers.

/// Fixed word lists; choices among them come from the seed.
enum Vocabulary {
    /// Shoot names (the folder name after the date) with the keywords such a shoot gets.
    static let themes: [(name: String, keywords: [String])] = [
        ("Coast", ["coast", "sea", "landscape"]),
        ("Wedding", ["wedding", "ceremony", "client"]),
        ("Family Portraits", ["family", "portrait", "client"]),
        ("Street", ["street", "city", "people"]),
        ("Autumn Forest", ["forest", "autumn", "landscape"]),
        ("Birthday", ["birthday", "family", "party"]),
        ("Concert", ["concert", "music", "stage"]),
        ("Mountains", ["mountains", "hiking", "landscape"]),
        ("Product Shoot", ["product", "studio", "client"]),
        ("Engagement", ["engagement", "couple", "client"]),
        ("City Night", ["city", "night", "long exposure"]),
        ("Garden", ["garden", "flowers", "macro"]),
        ("Snow", ["snow", "winter", "landscape"]),
        ("Harbor", ["harbor", "boats", "sea"]),
        ("Market", ["market", "food", "street"]),
        ("Newborn", ["newborn", "family", "client"]),
        ("Headshots", ["headshot", "corporate", "client"]),
        ("Lake", ["lake", "reflection", "landscape"]),
        ("Desert Road", ["desert", "road trip", "travel"]),
        ("Football", ["sport", "football", "action"]),
    ]

    /// Keywords any photo may get on top of its shoot's.
    static let generalKeywords = ["portfolio", "selects", "print", "instagram", "favorites", "black and white",
                                  "golden hour", "blue hour", "bokeh", "wide angle", "detail", "candid"]

    /// What a photographer appends to a folder name when renaming it.
    static let folderSuffixes = ["Smith", "Jones & Lee", "Selects", "Final", "Delivered", "Archive", "Client Proofs"]

    /// Photographers' names for copyright and creator fields.
    static let photographers = ["Alex Morgan", "Sam Okafor", "Mia Lindqvist", "Jonas Berger", "Priya Nair"]

    /// Lightroom colour labels (empty for none), weighted towards none.
    static let colorLabels = ["", "", "", "", "", "Red", "Yellow", "Green", "Blue", "Purple"]
}
