//! Schema descriptions turned into the docs of one SDK, and into doc comments that are safe in
//! each language.
//!
//! Descriptions are free text with Markdown, quotes, backticks and newlines, written in the
//! schema's terms: property names as the schema spells them, examples in every language, and
//! `pulumi import` commands. Each SDK's docs keep their own language's examples, spell names as
//! the language does (`SdkDocs::renames`), and show the import resource option instead of
//! `pulumi import`, which a dynamic resource cannot serve. The text is then kept from ending the
//! comment early (`*/` in JSDoc, `"""` in a docstring) or being read as an escape sequence (a
//! backslash in a Python string).

use std::collections::BTreeMap;

/// The lines of a description, with trailing blank lines and trailing spaces removed.
pub fn description_lines(description: &str) -> Vec<String> {
    let mut lines: Vec<String> = description
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect();
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines
}

/// The languages whose fenced code blocks a description may hold side by side, as Pulumi's
/// schema descriptions do in their "Example Usage" sections; each SDK keeps only its own.
const EXAMPLE_LANGUAGES: &[&str] = &[
    "typescript",
    "javascript",
    "python",
    "go",
    "csharp",
    "java",
    "yaml",
];

/// The description as one SDK shows it: fenced code blocks in the other example languages are
/// dropped (with the blank line after each), every other block is kept.
pub fn description_for_language(description: &str, language: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut skipping = false;
    let mut skipped_block_just_ended = false;
    for line in description.lines() {
        let trimmed = line.trim_start();
        if skipping {
            if trimmed.starts_with("```") {
                skipping = false;
                skipped_block_just_ended = true;
            }
            continue;
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            let fence_language = info.trim();
            if fence_language != language && EXAMPLE_LANGUAGES.contains(&fence_language) {
                skipping = true;
                continue;
            }
        }
        if skipped_block_just_ended && line.trim().is_empty() {
            skipped_block_just_ended = false;
            continue;
        }
        skipped_block_just_ended = false;
        kept.push(line);
    }
    kept.join("\n")
}

/// Schema names an SDK spells differently (schema name → the SDK's name).
pub type Renames = BTreeMap<String, String>;

/// `text` with every word (a run of ASCII letters, digits and `_`) that `renames` names replaced,
/// except the key of a config key (`alicloud:accessKey`: the word right after a `:` that follows
/// a name), which every language's program spells the same.
pub fn rename_words(text: &str, renames: &Renames) -> String {
    if renames.is_empty() {
        return text.to_string();
    }
    let mut renamed = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, renamed: &mut String| {
        let config_key = renamed
            .strip_suffix(':')
            .and_then(|before| before.chars().last())
            .is_some_and(|last| last.is_ascii_alphanumeric() || last == '-' || last == '_');
        match renames.get(word.as_str()) {
            Some(new) if !config_key => renamed.push_str(new),
            _ => renamed.push_str(word),
        }
        word.clear();
    };
    for character in text.chars() {
        if character.is_ascii_alphanumeric() || character == '_' {
            word.push(character);
        } else {
            flush(&mut word, &mut renamed);
            renamed.push(character);
        }
    }
    flush(&mut word, &mut renamed);
    renamed
}

/// How one SDK's docs word what the schema's descriptions say.
pub struct SdkDocs<'a> {
    /// The language of its code blocks, e.g. `python`.
    pub language: &'static str,
    /// The names it spells differently, replaced in prose (not in code blocks).
    pub renames: &'a Renames,
    /// Its import resource option, e.g. `import_`.
    pub import_option: &'static str,
    /// A line of its code that adopts the existing resource `id` of the class: `(class, id)`.
    pub import_example: &'a dyn Fn(&str, &str) -> String,
}

/// The ids of a code block that holds only `pulumi import <token> <name> <id>` commands.
fn import_command_ids(body: &[&str]) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for line in body
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
    {
        let command = line.strip_prefix("$ ").unwrap_or(line);
        match command.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["pulumi", "import", _token, _name, id] => ids.push((*id).to_string()),
            _ => return None,
        }
    }
    (!ids.is_empty()).then_some(ids)
}

/// A resource's description as the SDK's docs show it: the other languages' examples dropped,
/// names in prose spelled as the SDK spells them, each `pulumi import` command replaced by the
/// import resource option (with the same id), and how that option adopts a resource, under
/// `## Import` (which is added when the description has no import command).
pub fn resource_description(description: &str, class: &str, docs: &SdkDocs<'_>) -> Vec<String> {
    let filtered = description_for_language(description, docs.language);
    let mut lines: Vec<String> = Vec::new();
    let mut found_import = false;
    let mut source = filtered.lines();
    while let Some(line) = source.next() {
        if !line.trim_start().starts_with("```") {
            lines.push(rename_words(line.trim_end(), docs.renames));
            continue;
        }
        let mut block = vec![line];
        let mut closed = false;
        for inner in source.by_ref() {
            block.push(inner);
            if inner.trim_start().starts_with("```") {
                closed = true;
                break;
            }
        }
        match import_command_ids(&block[1..block.len() - usize::from(closed)]) {
            Some(ids) if closed => {
                found_import = true;
                lines.push(format!("```{}", docs.language));
                lines.extend(ids.iter().map(|id| (docs.import_example)(class, id)));
                lines.push("```".to_string());
            }
            _ => lines.extend(block.iter().map(|line| line.trim_end().to_string())),
        }
    }
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    if !found_import {
        lines.extend([
            String::new(),
            "## Import".to_string(),
            String::new(),
            format!(
                "An existing {class} is adopted with the `{}` resource option:",
                docs.import_option
            ),
            String::new(),
            format!("```{}", docs.language),
            (docs.import_example)(class, "<id>"),
            "```".to_string(),
        ]);
    }
    lines.extend([
        String::new(),
        format!(
            "With the `{}` option, the SDK reads the existing resource and adopts it only when the \
             program's inputs describe it as it is; otherwise the update fails and names the \
             properties that differ.",
            docs.import_option
        ),
    ]);
    lines
}

/// The code blocks of one example language in a description, fences included.
pub fn code_blocks(description: &str, language: &str) -> Vec<String> {
    let filtered = description_for_language(description, language);
    let opening = format!("```{language}");
    let mut lines = Vec::new();
    let mut inside = false;
    for line in filtered.lines() {
        if !inside && line.trim_start() == opening {
            inside = true;
        }
        if inside {
            lines.push(line.to_string());
            if line.trim_start() == "```" {
                inside = false;
            }
        }
    }
    lines
}

/// A JSDoc block (`/** ... */`) at `indent`, or nothing when there is no text.
pub fn jsdoc(indent: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut block = format!("{indent}/**\n");
    for line in lines {
        let safe = line.replace("*/", "*\\/");
        if safe.is_empty() {
            block.push_str(&format!("{indent} *\n"));
        } else {
            block.push_str(&format!("{indent} * {safe}\n"));
        }
    }
    block.push_str(&format!("{indent} */\n"));
    block
}

/// Escapes text for the inside of a Python `"""` docstring: backslashes are doubled, and quotes
/// that could close the string early are escaped.
pub fn python_docstring_text(text: &str) -> String {
    let mut escaped = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if escaped.ends_with('"') {
        escaped.pop();
        escaped.push_str("\\\"");
    }
    escaped
}

/// A Python docstring at `indent` whose body is `lines` (already composed, not yet escaped).
pub fn python_docstring(indent: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut block = format!("{indent}\"\"\"\n");
    for line in lines {
        let safe = python_docstring_text(line);
        if safe.is_empty() {
            block.push('\n');
        } else {
            block.push_str(&format!("{indent}{safe}\n"));
        }
    }
    block.push_str(&format!("{indent}\"\"\"\n"));
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsdoc_cannot_be_closed_by_the_description() {
        let block = jsdoc("", &description_lines("ends */ here\n\nnext"));
        assert_eq!(block, "/**\n * ends *\\/ here\n *\n * next\n */\n");
    }

    #[test]
    fn each_language_keeps_its_own_examples_and_every_other_block() {
        let description = "Intro.\n\n```typescript\nts();\n```\n\n```python\npy()\n```\n\n```sh\n$ cmd\n```\nEnd.";
        assert_eq!(
            description_for_language(description, "python"),
            "Intro.\n\n```python\npy()\n```\n\n```sh\n$ cmd\n```\nEnd."
        );
        assert_eq!(
            description_for_language(description, "typescript"),
            "Intro.\n\n```typescript\nts();\n```\n\n```sh\n$ cmd\n```\nEnd."
        );
    }

    #[test]
    fn words_are_renamed_whole_and_nothing_else() {
        let renames: Renames = [("notBefore".to_string(), "not_before".to_string())].into();
        assert_eq!(
            rename_words(
                "set `notBefore`, not notBeforeX or xnotBefore: notBefore.",
                &renames
            ),
            "set `not_before`, not notBeforeX or xnotBefore: not_before."
        );
    }

    #[test]
    fn the_key_of_a_config_key_is_not_renamed() {
        let renames: Renames = [("accessKey".to_string(), "access_key".to_string())].into();
        assert_eq!(
            rename_words(
                "accessKey falls back to `alicloud:accessKey`, then `alicloud-kms:accessKey`; see: accessKey",
                &renames
            ),
            "access_key falls back to `alicloud:accessKey`, then `alicloud-kms:accessKey`; see: access_key"
        );
    }

    #[test]
    fn the_import_command_becomes_the_import_option_and_names_are_renamed() {
        let renames: Renames = [("aapName".to_string(), "aap_name".to_string())].into();
        let example = |class: &str, id: &str| {
            format!("kms.{class}(\"example\", ..., opts=pulumi.ResourceOptions(import_=\"{id}\"))")
        };
        let docs = SdkDocs {
            language: "python",
            renames: &renames,
            import_option: "import_",
            import_example: &example,
        };
        let description = "Uses `aapName`.\n\n```python\nkms.Key(\"k\", aapName=1)\n```\n\n## Import\n\n```sh\n$ pulumi import pkg:index:Key example KAAP.1\n```\n";
        let lines = resource_description(description, "Key", &docs);
        let text = lines.join("\n");
        assert!(
            text.starts_with("Uses `aap_name`.\n\n```python\nkms.Key(\"k\", aapName=1)\n```"),
            "{text}"
        );
        assert!(text.contains("## Import\n\n```python\nkms.Key(\"example\", ..., opts=pulumi.ResourceOptions(import_=\"KAAP.1\"))\n```"), "{text}");
        assert!(!text.contains("pulumi import"), "{text}");
        assert!(
            text.ends_with("names the properties that differ."),
            "{text}"
        );
    }

    #[test]
    fn a_description_without_an_import_section_gets_one() {
        let renames = Renames::new();
        let example = |class: &str, id: &str| {
            format!("new kms.{class}(\"example\", {{ ... }}, {{ import: \"{id}\" }});")
        };
        let docs = SdkDocs {
            language: "typescript",
            renames: &renames,
            import_option: "import",
            import_example: &example,
        };
        let text = resource_description("A widget.", "Widget", &docs).join("\n");
        assert!(text.contains("## Import\n\nAn existing Widget is adopted with the `import` resource option:\n\n```typescript\nnew kms.Widget(\"example\", { ... }, { import: \"<id>\" });\n```"), "{text}");
    }

    #[test]
    fn docstrings_escape_backslashes_and_closing_quotes() {
        assert_eq!(python_docstring_text(r#"a \n b"#), r#"a \\n b"#);
        assert_eq!(python_docstring_text(r#"x """ y"#), r#"x \"\"\" y"#);
        assert_eq!(python_docstring_text(r#"say "hi""#), r#"say "hi\""#);
    }
}
