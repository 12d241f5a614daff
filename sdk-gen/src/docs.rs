//! Schema descriptions turned into doc comments that are safe in each language.
//!
//! Descriptions are free text with Markdown, quotes, backticks and newlines. The only job here is
//! to keep such text from ending the comment early (`*/` in JSDoc, `"""` in a docstring) or being
//! read as an escape sequence (a backslash in a Python string), while keeping it readable.

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
    fn docstrings_escape_backslashes_and_closing_quotes() {
        assert_eq!(python_docstring_text(r#"a \n b"#), r#"a \\n b"#);
        assert_eq!(python_docstring_text(r#"x """ y"#), r#"x \"\"\" y"#);
        assert_eq!(python_docstring_text(r#"say "hi""#), r#"say "hi\""#);
    }
}
