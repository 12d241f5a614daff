//! "Did you mean" suggestions for misspelt property names and resource types.

/// The known name closest to `unknown`, if one is close enough to be a likely misspelling.
///
/// Tried in order: the same name in another case; the camelCase form of a snake_case name
/// (Terraform users write `aap_name` for `aapName`); then the smallest edit distance, allowed to
/// grow with the name (at most half its length, and at least two edits, so that `policy` finds
/// `policies`).
pub fn closest_name<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    if let Some(same_ignoring_case) = known
        .clone()
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(unknown))
    {
        return Some(same_ignoring_case);
    }
    let camel = snake_to_camel(unknown);
    if let Some(camel_match) = known
        .clone()
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(&camel))
    {
        return Some(camel_match);
    }
    let budget = (unknown.chars().count() / 2).max(2);
    known
        .into_iter()
        .map(|name| {
            (
                edit_distance(&unknown.to_ascii_lowercase(), &name.to_ascii_lowercase()),
                name,
            )
        })
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

fn snake_to_camel(name: &str) -> String {
    let mut camel = String::with_capacity(name.len());
    let mut upper_next = false;
    for character in name.chars() {
        if character == '_' || character == '-' {
            upper_next = !camel.is_empty();
        } else if upper_next {
            camel.extend(character.to_uppercase());
            upper_next = false;
        } else {
            camel.push(character);
        }
    }
    camel
}

/// Levenshtein distance over characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current = vec![0; right.len() + 1];
    for (left_index, left_character) in left.chars().enumerate() {
        current[0] = left_index + 1;
        for (right_index, right_character) in right.iter().enumerate() {
            let substitution =
                previous[right_index] + usize::from(left_character != *right_character);
            current[right_index + 1] = substitution
                .min(previous[right_index + 1] + 1)
                .min(current[right_index] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_KEY_INPUTS: [&str; 5] = [
        "aapName",
        "notAfter",
        "notBefore",
        "password",
        "privateKeyDataFile",
    ];

    #[test]
    fn suggestions_table() {
        let table = [
            ("aap_name", Some("aapName")),
            ("AapName", Some("aapName")),
            ("pasword", Some("password")),
            ("notbefore", Some("notBefore")),
            ("private_key_data_file", Some("privateKeyDataFile")),
            ("privateKeyFile", Some("privateKeyDataFile")),
            ("colour", None),
            ("kms", None),
            ("x", None),
        ];
        for (unknown, expected) in table {
            assert_eq!(
                closest_name(unknown, CLIENT_KEY_INPUTS),
                expected,
                "{unknown}"
            );
        }
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
