//! `sdk-gen`: writes the TypeScript and Python SDKs from `schema/schema.json`.

fn main() {}
