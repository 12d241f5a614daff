//! Name conversion between schema names (lowerCamelCase) and each SDK's spelling.
//!
//! Every conversion goes through `split_words`, so snake, camel and Pascal case agree on where one
//! word ends and the next begins. The rules follow Pulumi's `PyName`: an uppercase letter after a
//! lowercase letter or digit starts a word (`aapName` → `aap name`), a run of capitals is one
//! acronym word that ends before the last capital when a lowercase letter follows (`KMSKey` →
//! `kms key`), and a trailing plural `s` stays with its acronym (`podCIDRs` → `pod cidrs`).
//!
//! Once a generated name has shipped it must never change. If the algorithm ever has to change,
//! pin the names already published in `FROZEN_PYTHON_NAMES` instead of letting them move.

/// Python names that were published before a rule change and must keep their spelling.
/// Empty today: nothing has shipped under an older algorithm.
const FROZEN_PYTHON_NAMES: &[(&str, &str)] = &[];

/// Python's hard keywords (`keyword.kwlist` of Python 3.11). Soft keywords (`match`, `case`,
/// `type`, `_`) are legal identifiers and are left alone.
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Names the generated Python code itself uses as parameters or module names inside the bodies
/// that also take property names as parameters; a property spelled like one of these would
/// shadow it, so it is escaped like a keyword.
const PYTHON_GENERATED_NAMES: &[&str] = &["resource_name", "opts", "args", "pulumi", "typing"];

/// TypeScript's reserved words plus the strict-mode and contextual words that cannot name a
/// class or a variable (ECMAScript 2023 §12.7.2, TypeScript's `SyntaxKind` keywords).
const TYPESCRIPT_RESERVED_WORDS: &[&str] = &[
    "any",
    "arguments",
    "as",
    "async",
    "await",
    "boolean",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "constructor",
    "continue",
    "debugger",
    "declare",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "from",
    "function",
    "get",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "module",
    "never",
    "new",
    "null",
    "number",
    "object",
    "of",
    "package",
    "private",
    "protected",
    "public",
    "readonly",
    "require",
    "return",
    "set",
    "static",
    "string",
    "super",
    "switch",
    "symbol",
    "this",
    "throw",
    "true",
    "try",
    "type",
    "typeof",
    "undefined",
    "unknown",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Global names the generated TypeScript and Python modules rely on; a resource class with one
/// of these names would shadow it inside its own module.
const GLOBAL_NAMES_USED_BY_GENERATED_CODE: &[&str] = &[
    "Array", "Error", "Object", "Promise", "String", "Symbol", "Any", "Mapping", "Optional",
    "Sequence", "Union",
];

/// Splits a name into its words; see the module docs for the rules.
pub fn split_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (index, &character) in chars.iter().enumerate() {
        if character == '_' || character == '-' || character == ' ' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        let after_next = chars.get(index + 2).copied();
        if character.is_uppercase() && !current.is_empty() {
            let after_lower_or_digit =
                previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
            let ends_acronym = previous.is_some_and(char::is_uppercase)
                && next.is_some_and(char::is_lowercase)
                && !is_plural_acronym_tail(next, after_next);
            if after_lower_or_digit || ends_acronym {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(character);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether the lowercase letter after a capital is the plural `s` of an acronym (`CIDRs`,
/// `IDs`): an `s` that ends the name or is followed by the next word's capital.
fn is_plural_acronym_tail(next: Option<char>, after_next: Option<char>) -> bool {
    next == Some('s') && after_next.is_none_or(|c| c.is_uppercase() || c == '_')
}

/// `privateKeyDataFile` → `private_key_data_file`; `SHA256Hash` → `sha256_hash`.
pub fn to_snake_case(name: &str) -> String {
    split_words(name)
        .iter()
        .map(|word| word.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `aap_name` → `aapName`, `ClientKey` → `clientKey`; a camelCase name is returned unchanged.
pub fn to_camel_case(name: &str) -> String {
    let mut result = String::new();
    for (index, word) in split_words(name).iter().enumerate() {
        if index == 0 {
            result.push_str(&word.to_lowercase());
        } else {
            result.push_str(&capitalize_first(word));
        }
    }
    result
}

/// `clientKey` → `ClientKey`, `aap_name` → `AapName`.
pub fn to_pascal_case(name: &str) -> String {
    split_words(name)
        .iter()
        .map(|word| capitalize_first(word))
        .collect()
}

fn capitalize_first(word: &str) -> String {
    let mut characters = word.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// The Python attribute and parameter name for a schema property: snake case, with a trailing
/// underscore when the result is a Python keyword or a name the generated code needs (PEP 8's
/// `class_` convention).
pub fn python_property_name(schema_name: &str) -> String {
    if let Some((_, frozen)) = FROZEN_PYTHON_NAMES
        .iter()
        .find(|(from, _)| *from == schema_name)
    {
        return (*frozen).to_string();
    }
    escape_python_identifier(&to_snake_case(schema_name))
}

/// Appends `_` to a Python keyword or to a name the generated code reserves.
pub fn escape_python_identifier(identifier: &str) -> String {
    if is_python_keyword(identifier) || PYTHON_GENERATED_NAMES.contains(&identifier) {
        format!("{identifier}_")
    } else {
        identifier.to_string()
    }
}

pub fn is_python_keyword(identifier: &str) -> bool {
    PYTHON_KEYWORDS.contains(&identifier)
}

/// Appends `_` to a TypeScript reserved word. Property names never need this (TypeScript allows
/// reserved words as member names, `args.default` is fine); it is for identifiers that name
/// bindings, such as a module file's local names.
pub fn escape_typescript_identifier(identifier: &str) -> String {
    if is_typescript_reserved_word(identifier) {
        format!("{identifier}_")
    } else {
        identifier.to_string()
    }
}

pub fn is_typescript_reserved_word(identifier: &str) -> bool {
    TYPESCRIPT_RESERVED_WORDS.contains(&identifier)
}

/// Why a resource class name cannot be used in one of the SDKs, if it cannot.
pub fn class_name_problem(class_name: &str) -> Option<String> {
    if is_python_keyword(class_name) {
        return Some(format!("`{class_name}` is a Python keyword"));
    }
    if is_typescript_reserved_word(class_name) {
        return Some(format!("`{class_name}` is a TypeScript reserved word"));
    }
    if GLOBAL_NAMES_USED_BY_GENERATED_CODE.contains(&class_name) {
        return Some(format!(
            "`{class_name}` would shadow a global the generated code uses"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (schema name, snake, camel, Pascal). Acronym rows come from Pulumi's `PyName` table.
    const NAME_TABLE: &[(&str, &str, &str, &str)] = &[
        ("aapName", "aap_name", "aapName", "AapName"),
        (
            "privateKeyDataFile",
            "private_key_data_file",
            "privateKeyDataFile",
            "PrivateKeyDataFile",
        ),
        (
            "applicationAccessPointName",
            "application_access_point_name",
            "applicationAccessPointName",
            "ApplicationAccessPointName",
        ),
        ("keyId", "key_id", "keyId", "KeyId"),
        ("policies", "policies", "policies", "Policies"),
        ("ClientKey", "client_key", "clientKey", "ClientKey"),
        ("podCIDR", "pod_cidr", "podCidr", "PodCidr"),
        ("podCIDRs", "pod_cidrs", "podCidrs", "PodCidrs"),
        ("Sha256Hash", "sha256_hash", "sha256Hash", "Sha256Hash"),
        ("SHA256Hash", "sha256_hash", "sha256Hash", "Sha256Hash"),
        ("KMSKeyARN", "kms_key_arn", "kmsKeyArn", "KmsKeyArn"),
        ("sourceIDs", "source_ids", "sourceIds", "SourceIds"),
        ("IDsToKeep", "ids_to_keep", "idsToKeep", "IdsToKeep"),
        ("HTTPSProxy", "https_proxy", "httpsProxy", "HttpsProxy"),
        ("aap_name", "aap_name", "aapName", "AapName"),
        ("a", "a", "a", "A"),
    ];

    #[test]
    fn snake_camel_and_pascal_follow_the_table() {
        for (schema, snake, _, _) in NAME_TABLE {
            assert_eq!(to_snake_case(schema), *snake, "to_snake_case({schema})");
        }
        for (schema, snake, camel, pascal) in NAME_TABLE {
            // Camel and Pascal case are built from the same words, so converting the snake
            // spelling must give the same result as converting the original.
            assert_eq!(to_camel_case(snake), *camel, "to_camel_case({snake})");
            assert_eq!(to_pascal_case(snake), *pascal, "to_pascal_case({snake})");
            assert_eq!(
                to_pascal_case(camel),
                *pascal,
                "to_pascal_case({camel}) from {schema}"
            );
        }
    }

    #[test]
    fn camel_case_names_round_trip_through_snake_case_when_they_have_no_acronyms() {
        for name in [
            "aapName",
            "privateKeyDataFile",
            "notBefore",
            "createTime",
            "policies",
        ] {
            assert_eq!(to_camel_case(&to_snake_case(name)), name);
        }
    }

    #[test]
    fn python_names_escape_keywords_and_generated_names() {
        let table = [
            ("class", "class_"),
            ("from", "from_"),
            ("lambda", "lambda_"),
            ("async", "async_"),
            ("yield", "yield_"),
            ("default", "default"),
            ("delete", "delete"),
            ("type", "type"),
            ("resourceName", "resource_name_"),
            ("opts", "opts_"),
            ("pulumi", "pulumi_"),
            ("isNot", "is_not"),
        ];
        for (schema, python) in table {
            assert_eq!(
                python_property_name(schema),
                python,
                "python_property_name({schema})"
            );
        }
    }

    #[test]
    fn typescript_identifiers_escape_reserved_words_only() {
        assert_eq!(escape_typescript_identifier("default"), "default_");
        assert_eq!(escape_typescript_identifier("delete"), "delete_");
        assert_eq!(escape_typescript_identifier("function"), "function_");
        assert_eq!(escape_typescript_identifier("aapName"), "aapName");
        assert_eq!(escape_typescript_identifier("class_"), "class_");
    }

    #[test]
    fn class_names_that_break_either_sdk_are_reported() {
        assert!(class_name_problem("None")
            .unwrap()
            .contains("Python keyword"));
        assert!(class_name_problem("Error").unwrap().contains("shadow"));
        assert_eq!(class_name_problem("ClientKey"), None);
    }
}
