//! The signing test vectors of docs/kms-api.md (§7, A to G), one folder each under
//! `tests/fixtures/signing/`, checked stage by stage: canonical query, string to sign, signature.
//!
//! Each file holds its value exactly (a single trailing newline, if an editor adds one, is
//! ignored); `params.json` is a list of `[key, value]` pairs in the order the source lists them,
//! deliberately unsorted, so the sorting stage is exercised.

use std::path::{Path, PathBuf};

use alicloud_kms_provider::kms::signer;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signing")
}

fn read_stage(folder: &Path, file: &str) -> String {
    let path = folder.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    text.strip_suffix('\n').map(str::to_owned).unwrap_or(text)
}

#[track_caller]
fn assert_vector_reproduced(case: &str) {
    let folder = fixtures_root().join(case);
    let parameters: Vec<(String, String)> =
        serde_json::from_str(&read_stage(&folder, "params.json"))
            .expect("params.json is a list of pairs");
    let method = read_stage(&folder, "method.txt");
    let secret = read_stage(&folder, "secret.txt");

    let canonical = signer::canonical_query(&parameters);
    assert_eq!(
        canonical,
        read_stage(&folder, "canonical.txt"),
        "{case}: canonical query"
    );
    let string_to_sign = signer::string_to_sign(&method, &canonical);
    assert_eq!(
        string_to_sign,
        read_stage(&folder, "string-to-sign.txt"),
        "{case}: string to sign"
    );
    let signature = signer::signature(&secret, &string_to_sign);
    assert_eq!(
        signature,
        read_stage(&folder, "signature.txt"),
        "{case}: signature"
    );

    // The one-call form must agree with the stages.
    let stages = signer::sign(&method, &parameters, &secret);
    assert_eq!(
        (
            stages.canonical_query,
            stages.string_to_sign,
            stages.signature
        ),
        (canonical, string_to_sign, signature),
        "{case}: sign()"
    );
}

const CASES: &[&str] = &[
    "a-ecs-describe-regions",
    "a-prime-timestamp-key-case",
    "b-kms-doc-create-key",
    "c-create-client-key-special-characters",
    "d-create-aap-sts-utf8-json",
    "e-old-core-get-client-key",
    "f-tea-rpc-get-client-key",
    "g-tea-rpc-utils-unit-test",
];

#[test]
fn a_ecs_describe_regions() {
    assert_vector_reproduced("a-ecs-describe-regions");
}

#[test]
fn a_prime_timestamp_key_case() {
    assert_vector_reproduced("a-prime-timestamp-key-case");
}

#[test]
fn b_kms_doc_create_key() {
    assert_vector_reproduced("b-kms-doc-create-key");
}

#[test]
fn c_create_client_key_special_characters() {
    assert_vector_reproduced("c-create-client-key-special-characters");
}

#[test]
fn d_create_aap_sts_utf8_json() {
    assert_vector_reproduced("d-create-aap-sts-utf8-json");
}

#[test]
fn e_old_core_get_client_key() {
    assert_vector_reproduced("e-old-core-get-client-key");
}

#[test]
fn f_tea_rpc_get_client_key() {
    assert_vector_reproduced("f-tea-rpc-get-client-key");
}

#[test]
fn g_tea_rpc_utils_unit_test() {
    assert_vector_reproduced("g-tea-rpc-utils-unit-test");
}

/// A folder added without a test function would otherwise be silently skipped.
#[test]
fn every_fixture_folder_has_a_test() {
    let mut folders: Vec<String> = std::fs::read_dir(fixtures_root())
        .expect("fixtures folder")
        .map(|entry| entry.expect("entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders, CASES);
}
