import Foundation

/// Rails-style name conversions: `BlogPost` → `blog_post` → `blog_posts`.
public enum Inflection {
    /// `createdAt` → `created_at`, `BlogPost` → `blog_post`, `userID` → `user_id`.
    public static func snakeCase(_ name: String) -> String {
        var result = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let startsWord = previous.map { $0.isLowercase || $0.isNumber } ?? false
                let endsAcronym = (previous?.isUppercase ?? false) && (next?.isLowercase ?? false)
                if index > 0, startsWord || endsAcronym, !result.hasSuffix("_") { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The plural of an English noun in snake case, by Rails' main rules: `person` → `people`, `category` →
    /// `categories`, `box` → `boxes`, `blog_post` → `blog_posts`. Only the last word changes.
    public static func pluralize(_ word: String) -> String {
        let parts = word.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, !last.isEmpty else { return word }
        return (parts.dropLast() + [pluralizeWord(last)]).joined(separator: "_")
    }

    private static let uncountable: Set<String> = [
        "equipment", "information", "rice", "money", "species", "series", "fish", "sheep", "jeans", "police", "news",
        "data", "metadata",
    ]
    private static let irregular: [String: String] = [
        "person": "people", "man": "men", "woman": "women", "child": "children", "sex": "sexes", "move": "moves",
        "zombie": "zombies", "mouse": "mice", "goose": "geese", "tooth": "teeth", "foot": "feet", "ox": "oxen",
    ]
    private static let suffixRules: [(String, String)] = [
        ("quiz", "quizzes"), ("matrix", "matrices"), ("vertex", "vertices"), ("index", "indices"), ("alias", "aliases"),
        ("status", "statuses"), ("octopus", "octopi"), ("virus", "viruses"), ("axis", "axes"), ("testis", "testes"),
        ("crisis", "crises"), ("bus", "buses"), ("ium", "ia"), ("sis", "ses"), ("ch", "ches"), ("sh", "shes"),
        ("ss", "sses"), ("x", "xes"), ("z", "zes"), ("lf", "lves"), ("rf", "rves"), ("ife", "ives"),
    ]

    private static func pluralizeWord(_ word: String) -> String {
        let lower = word.lowercased()
        if uncountable.contains(lower) { return word }
        if let plural = irregular[lower] { return plural }
        for (suffix, replacement) in suffixRules where lower.hasSuffix(suffix) {
            return String(lower.dropLast(suffix.count)) + replacement
        }
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) {
            return String(lower.dropLast()) + "ies"
        }
        if lower.hasSuffix("s") { return lower }
        return lower + "s"
    }
}
