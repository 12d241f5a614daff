//! Each property's name is spelled once per resource that declares it: in `src/`, outside test
//! modules, a string literal that is exactly a declared property's name appears only in the
//! declarations (`src/resources/<name>/declaration.rs`); everything else reads the name from
//! there. `cargo test --test it property_names -- --nocapture` prints (on stderr) the count of every property.
//!
//! Not counted: `src/provider/schema/generate.rs`, whose literals are the schema's own keywords
//! (`description`, `properties`, `type`, ...), one of which is also a property's name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alicloud_kms_provider::resources::registry::registered_declarations;

/// Files whose literals are not property names (see the module documentation).
const NOT_COUNTED: &[&str] = &["src/provider/schema/generate.rs"];

#[test]
fn every_property_name_is_spelled_once_per_declaring_resource() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut declaring: BTreeMap<&str, usize> = BTreeMap::new();
    for declaration in registered_declarations() {
        for property in declaration.properties {
            *declaring.entry(property.name).or_default() += 1;
        }
    }
    let mut spelled: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut in_text: BTreeMap<&str, usize> = BTreeMap::new();
    for file in rust_files(&root.join("src")) {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if NOT_COUNTED.contains(&relative.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in literals_outside_tests(&text) {
            for name in declaring.keys() {
                if literal == *name {
                    spelled.entry(name).or_default().push(relative.clone());
                } else if contains_word(&literal, name) {
                    *in_text.entry(name).or_default() += 1;
                }
            }
        }
    }
    eprintln!("property                     declared by  spelled  also in a message");
    let mut too_often = Vec::new();
    for (name, resources) in &declaring {
        let places = spelled.get(name).map_or(&[][..], Vec::as_slice);
        eprintln!(
            "{name:<28} {resources:>11}  {:>7}  {:>17}",
            places.len(),
            in_text.get(name).copied().unwrap_or_default()
        );
        if places.len() > *resources {
            too_often.push(format!(
                "{name} is spelled {} times for {resources} declaring resource(s), in {}",
                places.len(),
                places.join(", ")
            ));
        }
        assert!(
            places
                .iter()
                .all(|place| place.ends_with("/declaration.rs")),
            "{name} is spelled outside a declaration: {places:?}"
        );
    }
    assert!(
        too_often.is_empty(),
        "read the name from the declaration (PROPERTY.<field>) instead:\n{}",
        too_often.join("\n")
    );
}

#[test]
fn the_scanner_finds_literals_and_skips_test_modules_comments_and_characters() {
    let text = r####"
        const A: &str = "one";
        // "comment"
        /* "block" */
        fn f<'a>(x: &'a str) -> char { let _ = r#"raw "two""#; '"' }
        struct S { r#type: u8 }
        let brace = '{';
        #[cfg(test)]
        mod tests { fn g() { let _ = "three"; let _ = "}"; } }
        const B: &str = "four\"";
    "####;
    assert_eq!(
        literals_outside_tests(text),
        ["one", r#"raw "two""#, "four\\\""]
    );
    assert!(contains_word("policies must name 1 to 3", "policies"));
    assert!(!contains_word("the policyName", "policy"));
}

fn rust_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Whether `name` appears in `text` as a word of its own.
fn contains_word(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + name.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The contents of the string literals of a Rust source (as written, escapes kept), leaving out
/// comments, character literals and the items marked `#[cfg(test)]`.
fn literals_outside_tests(text: &str) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    let mut literals = Vec::new();
    let mut position = 0;
    // The brace depth at which a test item ends, while inside one.
    let mut depth = 0usize;
    let mut test_item_depth: Option<usize> = None;
    let mut test_item_pending = false;
    let starts_with = |position: usize, prefix: &str| {
        prefix
            .chars()
            .enumerate()
            .all(|(offset, character)| characters.get(position + offset) == Some(&character))
    };
    while position < characters.len() {
        let character = characters[position];
        if starts_with(position, "//") {
            while position < characters.len() && characters[position] != '\n' {
                position += 1;
            }
            continue;
        }
        if starts_with(position, "/*") {
            while position < characters.len() && !starts_with(position, "*/") {
                position += 1;
            }
            position += 2;
            continue;
        }
        if starts_with(position, "#[cfg(test)]") {
            test_item_pending = true;
            position += "#[cfg(test)]".len();
            continue;
        }
        match character {
            '"' => {
                let start = position + 1;
                position = start;
                while characters[position] != '"' {
                    position += if characters[position] == '\\' { 2 } else { 1 };
                }
                if test_item_depth.is_none() {
                    literals.push(characters[start..position].iter().collect());
                }
                position += 1;
            }
            // A raw string (`r"..."`, `r#"..."#`), not a raw identifier (`r#type`).
            'r' if matches!(characters.get(position + 1), Some('"' | '#'))
                && characters[position + 1..]
                    .iter()
                    .find(|character| **character != '#')
                    == Some(&'"')
                && !characters
                    .get(position.wrapping_sub(1))
                    .is_some_and(|before| before.is_alphanumeric() || *before == '_') =>
            {
                let hashes = characters[position + 1..]
                    .iter()
                    .take_while(|character| **character == '#')
                    .count();
                let start = position + 2 + hashes;
                let end: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                position = start;
                while position < characters.len() && !starts_with(position, &end) {
                    position += 1;
                }
                if test_item_depth.is_none() {
                    literals.push(characters[start..position].iter().collect());
                }
                position += end.len();
            }
            '\'' => {
                // A character literal ('x', '\n', '\''), or the quote of a lifetime.
                if characters.get(position + 1) == Some(&'\\') {
                    position += 2;
                    while characters[position] != '\'' {
                        position += 1;
                    }
                    position += 1;
                } else if characters.get(position + 2) == Some(&'\'') {
                    position += 3;
                } else {
                    position += 1;
                }
            }
            '{' => {
                if test_item_pending && test_item_depth.is_none() {
                    test_item_depth = Some(depth);
                    test_item_pending = false;
                }
                depth += 1;
                position += 1;
            }
            '}' => {
                depth -= 1;
                if test_item_depth == Some(depth) {
                    test_item_depth = None;
                }
                position += 1;
            }
            ';' if test_item_pending && test_item_depth.is_none() => {
                // `#[cfg(test)] mod tests;` or a `use`: the item ends here.
                test_item_pending = false;
                position += 1;
            }
            _ => position += 1,
        }
    }
    literals
}
