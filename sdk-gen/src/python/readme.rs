//! The Python package's README (also the sdist's and the wheel's description): install (the wheel,
//! and what the sdist does without Rust), then the sections both READMEs share (`crate::readme`),
//! and the resources.

use std::fmt::{self, Write};

use super::package::{PULUMI_FLOOR, WHEEL_PLATFORM_TAG};
use super::{module_name, python_renames};
use crate::header::Header;
use crate::model::Package;
use crate::readme::{self, ReadmeLanguage};

pub(super) fn readme(package: &Package, header: &Header) -> Result<String, fmt::Error> {
    let alias = package.module_alias();
    let name = &package.python_package_name;
    let version = &package.version;
    let language = ReadmeLanguage {
        fence: "python",
        package: name.clone(),
        renames: python_renames(package),
        settings_option: "the `provider_settings` argument",
        import_option: "import_",
        provider_option: "opts=pulumi.ResourceOptions(provider=...)",
        data_source: "get_keys",
    };
    let mut out = readme::start(package, header, name)?;
    writeln!(out, "```sh")?;
    writeln!(
        out,
        "# Linux x86_64 with glibc 2.17 or later: the wheel, with the binary inside"
    )?;
    writeln!(
        out,
        "pip install {name}-{version}-py3-none-{WHEEL_PLATFORM_TAG}.whl"
    )?;
    writeln!(
        out,
        "# elsewhere: the sdist, which builds the binary from source (see below)"
    )?;
    writeln!(out, "pip install {name}-{version}.tar.gz")?;
    writeln!(out, "```")?;
    writeln!(out)?;
    writeln!(out, "The package needs `pulumi` >= {PULUMI_FLOOR}. The resources run the binary found first among:")?;
    writeln!(out, "`ALICLOUD_KMS_PROVIDER_PATH`; the binary installed with this package (from the wheel's or the")?;
    writeln!(out, "sdist's build, even when the environment's `bin/` is not on `PATH`); `alicloud-kms-provider` on")?;
    writeln!(out, "`PATH`. `{name}.provider_binary()` returns it, or raises an error that says how to install it.")?;
    writeln!(out, "Installing the SDK's source directory (`pip install ./sdk/python`) gives the SDK without a binary.")?;
    writeln!(out)?;
    writeln!(
        out,
        "**Installing the sdist** (`{name}-{version}.tar.gz`, which pip also picks where no wheel"
    )?;
    writeln!(out, "fits) compiles the provider with cargo, which takes a few minutes. When `cargo` is not on `PATH`,")?;
    writeln!(out, "the build backend (maturin) first downloads a Rust toolchain, about 1 GB, into a cache directory")?;
    writeln!(
        out,
        "and builds with that, without asking (pip shows it only with `-v`). Install Rust"
    )?;
    writeln!(out, "(<https://rustup.rs>) to build with your own toolchain, or set `MATURIN_NO_INSTALL_RUST=1` to make")?;
    writeln!(out, "the install fail instead.")?;
    writeln!(out)?;
    readme::shared_sections(&mut out, package, &language)?;
    writeln!(out, "## Resources")?;
    writeln!(out)?;
    for resource in &package.resources {
        writeln!(
            out,
            "- `{alias}.{}` (`{}`, module `{name}.{}`)",
            resource.class_name,
            resource.token,
            module_name(resource)
        )?;
    }
    Ok(out)
}
