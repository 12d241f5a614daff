//! The addresses of a network rule: the rules of `check` (one to 800 distinct IPv4 addresses or
//! CIDR blocks, each in its canonical spelling, a warning for one that is not private) and the
//! comparison of two lists spelled in any way.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::super::error::CheckFailure;
use super::super::named::check_distinct_items;
use super::super::property::{PropertyMap, PropertyValue};
use super::declaration::PROPERTY;

/// At most this many addresses and CIDR blocks in one rule (documented for the console and
/// Resource Orchestration Service: "up to 800", docs/kms-api.md §3.4).
pub const MAX_SOURCE_PRIVATE_IPS: usize = 800;

/// The private address ranges of RFC 1918 (network, prefix length).
const PRIVATE_RANGES: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

/// The rules of `check` beyond the declaration and the name: one to 800 distinct IPv4 addresses
/// or CIDR blocks, each rewritten in its canonical spelling (so that `10.0.0.0/016` and
/// `10.0.0.0/16`, or `10.0.0.1/32` and `10.0.0.1`, are no change), and a warning for one that is
/// not private.
pub(super) fn check_addresses(
    inputs: &mut PropertyMap,
    failures: &mut Vec<CheckFailure>,
    warnings: &mut Vec<String>,
) {
    let property = PROPERTY.source_private_ips;
    let Some(PropertyValue::Array(items)) = inputs.get_mut(property.name) else {
        return;
    };
    // The number of addresses is known even when some are not (preview).
    if items.is_empty() || items.len() > MAX_SOURCE_PRIVATE_IPS {
        failures.push(CheckFailure::new(
            property.name,
            format!(
                "{property} must list 1 to {MAX_SOURCE_PRIVATE_IPS} private IPv4 addresses or CIDR blocks, not {}",
                items.len()
            ),
        ));
    }
    for (position, item) in items.iter_mut().enumerate() {
        let Some(text) = item.as_str() else {
            continue;
        };
        if text.trim().is_empty() {
            // Reported with the repeats, below.
            continue;
        }
        let path = format!("{property}[{position}]");
        let Some(block) = parse_address(text) else {
            failures.push(CheckFailure::new(
                &path,
                format!(
                    "{path} ({text:?}) is not an IPv4 address or CIDR block; write it like 192.168.0.10 or \
                     192.168.0.0/24, without spaces"
                ),
            ));
            continue;
        };
        if !is_private(block) {
            warnings.push(format!(
                "{path} ({text}) is not within the private address ranges (10.0.0.0/8, 172.16.0.0/12, \
                 192.168.0.0/16): a network rule admits requests that reach the KMS instance from your VPCs, \
                 by their private addresses; unless your VPC uses these addresses, list the private addresses or \
                 CIDR blocks of the applications instead"
            ));
        }
        if let Cow::Owned(canonical) = spelled_canonically(text, block) {
            *item = item.with_string(canonical);
        }
    }
    check_distinct_items(inputs, property.name, "address", failures);
}

/// The canonical spelling of an IPv4 address or CIDR block: the address in plain dotted decimal,
/// the prefix in decimal without leading zeros, and a `/32` (one address) dropped; the text
/// itself when it is spelled so already. `None` for text that is neither.
pub fn canonical_address(text: &str) -> Option<Cow<'_, str>> {
    parse_address(text).map(|block| spelled_canonically(text, block))
}

/// [`canonical_address`] of `text`, which spells `block`.
fn spelled_canonically(text: &str, (address, prefix): Block) -> Cow<'_, str> {
    // A bare address that parses is in dotted decimal already (no leading zeros, no spaces).
    let Some((written, prefix_text)) = text.split_once('/') else {
        return Cow::Borrowed(text);
    };
    match prefix {
        32 => Cow::Owned(written.to_owned()),
        _ if prefix_text.len() > 1 && prefix_text.starts_with('0') => {
            Cow::Owned(format!("{address}/{prefix}"))
        }
        _ => Cow::Borrowed(text),
    }
}

/// The address and prefix length (32 for a bare address) of an IPv4 address or CIDR block in the
/// form KMS accepts (see [`is_ipv4_or_cidr`]).
fn parse_address(text: &str) -> Option<Block> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => {
            let digits = !prefix.is_empty() && prefix.chars().all(|digit| digit.is_ascii_digit());
            (
                address,
                digits.then(|| prefix.parse::<u8>().ok()).flatten()?,
            )
        }
        None => (text, 32),
    };
    (prefix <= 32).then_some(())?;
    Some((address.parse().ok()?, prefix))
}

/// An IPv4 address and a prefix length.
type Block = (Ipv4Addr, u8);

/// Whether every address of an IPv4 block lies in one private range.
fn is_private((address, prefix): Block) -> bool {
    PRIVATE_RANGES.iter().any(|(network, range_prefix)| {
        prefix >= *range_prefix && same_network(address, *network, *range_prefix)
    })
}

/// Whether two addresses share their first `prefix` bits.
fn same_network(left: Ipv4Addr, right: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(left) & mask == u32::from(right) & mask
}

/// Whether two lists of addresses and CIDR blocks allow the same, spelled in any way and in any
/// order (text that is neither compares as it is).
pub fn same_addresses(left: &[String], right: &[String]) -> bool {
    canonical_set(left) == canonical_set(right)
}

/// The canonical spellings of `items`, sorted (text that is neither address nor block as it is).
fn canonical_set(items: &[String]) -> Vec<Cow<'_, str>> {
    let mut texts: Vec<Cow<'_, str>> = items
        .iter()
        .map(|item| canonical_address(item).unwrap_or(Cow::Borrowed(item)))
        .collect();
    texts.sort();
    texts
}

/// `a.b.c.d` or `a.b.c.d/n` with `n` from 0 to 32, in the form KMS accepts (no spaces).
pub fn is_ipv4_or_cidr(text: &str) -> bool {
    parse_address(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_cidr_blocks_are_ipv4() {
        for good in [
            "10.10.10.10",
            "192.168.0.0/24",
            "0.0.0.0/0",
            "100.177.24.254/32",
        ] {
            assert!(is_ipv4_or_cidr(good), "{good}");
        }
        for bad in [
            "10.10.10.300",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            " 10.0.0.1",
            "fe80::1",
            "10.0.0",
            "host.example",
        ] {
            assert!(!is_ipv4_or_cidr(bad), "{bad}");
        }
    }

    #[test]
    fn equivalent_spellings_have_one_canonical_form_and_private_means_rfc_1918() {
        for (text, canonical) in [
            ("10.0.0.1", "10.0.0.1"),
            ("10.0.0.1/32", "10.0.0.1"),
            ("10.0.0.1/032", "10.0.0.1"),
            ("10.0.0.0/016", "10.0.0.0/16"),
            ("10.10.10.10/24", "10.10.10.10/24"),
            ("0.0.0.0/0", "0.0.0.0/0"),
        ] {
            assert_eq!(
                canonical_address(text).as_deref(),
                Some(canonical),
                "{text}"
            );
        }
        assert_eq!(canonical_address("10.0.0.0/33"), None);
        let private = |text: &str| parse_address(text).is_some_and(is_private);
        for text in ["10.1.2.3", "172.31.255.255", "192.168.0.0/16", "10.0.0.0/8"] {
            assert!(private(text), "{text}");
        }
        for public in [
            "0.0.0.0/0",
            "8.8.8.8",
            "172.32.0.1",
            "10.0.0.0/7",
            "100.177.24.254",
            "192.168.0.0/15",
        ] {
            assert!(!private(public), "{public}");
        }
        assert!(same_addresses(
            &["10.0.0.1/32".into(), "10.0.0.0/016".into()],
            &["10.0.0.0/16".into(), "10.0.0.1".into()]
        ));
        assert!(!same_addresses(&["10.0.0.1".into()], &["10.0.0.2".into()]));
    }
}
