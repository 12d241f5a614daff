//! The npm package's README: install and the `tsconfig.json` a program needs, then the sections
//! both READMEs share (`crate::readme`), and the resources.

use std::fmt::{self, Write};

use super::{PLATFORM_PACKAGE_SUFFIXES, PULUMI_PEER_FLOOR};
use crate::docs::Renames;
use crate::header::Header;
use crate::model::Package;
use crate::readme::{self, ReadmeLanguage};

pub(super) fn readme(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let name = &package.nodejs_package_name;
    let version = &package.version;
    let mut out = readme::start(package, header, name)?;
    writeln!(out, "```sh")?;
    let platform_packages: Vec<String> = PLATFORM_PACKAGE_SUFFIXES
        .iter()
        .map(|suffix| format!("{name}-{suffix}-{version}.tgz"))
        .collect();
    writeln!(
        out,
        "npm install {name}-{version}.tgz {}",
        platform_packages.join(" ")
    )?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "`@pulumi/pulumi` (>= {PULUMI_PEER_FLOOR}) is a peer dependency: the program's own copy is used. The binary")?;
    writeln!(
        out,
        "comes in a platform package (`{}`), an optional dependency chosen by",
        platform_packages_names(package).join("`, `")
    )?;
    writeln!(
        out,
        "`process.platform` and `process.arch`. The resources run the binary found first among:"
    )?;
    writeln!(
        out,
        "`ALICLOUD_KMS_PROVIDER_PATH`; the platform package's; `alicloud-kms-provider` on `PATH`."
    )?;
    writeln!(out, "`providerBinary()` returns it, or throws an error that says how to install it. Installing this")?;
    writeln!(
        out,
        "directory (`npm install --install-links <dir>`) compiles the TypeScript (`prepare`), without a binary."
    )?;
    writeln!(out)?;
    writeln!(out, "## TypeScript configuration")?;
    writeln!(out)?;
    writeln!(out, "The package's types check under `tsc --strict` with TypeScript 5 and 6. A program needs Node's own")?;
    writeln!(out, "module resolution, `node16` (or `nodenext`): TypeScript 6 stops at the older `\"moduleResolution\":")?;
    writeln!(
        out,
        "\"node\"` (error TS5107). A `tsconfig.json` that works with both:"
    )?;
    writeln!(out)?;
    writeln!(out, "```json")?;
    writeln!(out, "{{")?;
    writeln!(out, "    \"compilerOptions\": {{")?;
    writeln!(out, "        \"strict\": true,")?;
    writeln!(out, "        \"target\": \"es2020\",")?;
    writeln!(out, "        \"module\": \"node16\",")?;
    writeln!(out, "        \"moduleResolution\": \"node16\",")?;
    writeln!(out, "        \"outDir\": \"bin\"")?;
    writeln!(out, "    }},")?;
    writeln!(out, "    \"files\": [\"index.ts\"]")?;
    writeln!(out, "}}")?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "Without `\"type\": \"module\"` in the program's `package.json`, `node16` compiles to CommonJS.")?;
    writeln!(out)?;
    let language = ReadmeLanguage {
        fence: "typescript",
        package: name.clone(),
        renames: Renames::new(),
        settings_option: "the `providerSettings` resource option",
        import_option: "import",
        provider_option: "{ provider: ... }",
        data_source: "getKeys",
    };
    readme::shared_sections(&mut out, package, &language)?;
    writeln!(out, "## Resources")?;
    writeln!(out)?;
    for resource in &package.resources {
        writeln!(out, "- `{}` (`{}`)", resource.class_name, resource.token)?;
    }
    Ok(out)
}

fn platform_packages_names(package: &Package) -> Vec<String> {
    PLATFORM_PACKAGE_SUFFIXES
        .iter()
        .map(|suffix| format!("{}-{suffix}", package.nodejs_package_name))
        .collect()
}
