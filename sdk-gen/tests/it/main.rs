//! sdk-gen's integration tests, linked into one test binary (`cargo test -p sdk-gen --test it`).

mod cli;
mod snapshots;
