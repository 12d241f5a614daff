//! The provider's integration tests, linked into one test binary (`cargo test --test it`): one
//! module per concern, and the helpers they share (`common`, `kms_support`, `python_support`,
//! `resources_support`, `signing_support`).

mod common;
mod kms_support;
mod python_support;
mod resources_support;
mod signing_support;

mod backpressure;
mod bad_input;
mod check_tables;
mod command_line;
mod credentials_hostile_environment;
mod credentials_log_hygiene;
mod credentials_through_the_binary;
mod diff_tables;
mod fault_matrix;
mod faults_lost_replies;
mod faults_retries;
mod grpc_generated_code;
mod key_file;
mod key_file_safety;
mod kms_against_emulator;
mod kms_bad_replies;
mod kms_client_wire;
mod kms_credentials;
mod kms_retry;
mod kms_signing_oracle;
mod kms_signing_v3_oracle;
mod kms_signing_vectors;
mod kms_temporary_credentials;
mod kms_transport_failures;
mod lifecycle_application_access_point;
mod lifecycle_client_key;
mod lifecycle_network_rule;
mod lifecycle_policy;
mod ownership;
mod preview_credentials_warning;
mod property_names;
mod request_limits;
mod schema;
mod seed_example;
mod signals;
mod stdin_fuzz;
mod stdio_hygiene;
mod strict_not_found;
mod sts_signing_oracle;
mod transcripts;
