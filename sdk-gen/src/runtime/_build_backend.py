
# ---- The build hooks (PEP 517 and PEP 660). Everything above this line is generated. ----
#
# A pure-Python package needs nothing to build but the standard library, so this in-tree backend
# lets `pip install ./sdk/python` (and `--no-build-isolation` on a stock virtual environment, which
# has no `wheel` package and, from Python 3.12, no setuptools) work with no download. It writes the
# wheel, the editable wheel and the sdist of this directory. The
# release wheels that carry the provider binary are built by maturin from the repository root
# (`scripts/package.sh`), with the same metadata.

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Optional

_ROOT = Path(__file__).resolve().parent
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_WHEEL_TAG = "py3-none-any"


def _base_name() -> str:
    return f"{DISTRIBUTION}-{VERSION}"


def _metadata() -> bytes:
    readme = (_ROOT / "README.md").read_text(encoding="utf-8")
    return (METADATA_HEADERS + "\n" + readme).encode("utf-8")


def _wheel_metadata() -> bytes:
    return f"Wheel-Version: 1.0\nGenerator: {Path(__file__).stem}\nRoot-Is-Purelib: true\nTag: {_WHEEL_TAG}\n".encode("utf-8")


def _package_files() -> list[tuple[str, bytes]]:
    files = []
    for path in sorted((_ROOT / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append((path.relative_to(_ROOT).as_posix(), path.read_bytes()))
    return files


def _dist_info_files() -> list[tuple[str, bytes]]:
    dist_info = f"{_base_name()}.dist-info"
    return [
        (f"{dist_info}/METADATA", _metadata()),
        (f"{dist_info}/WHEEL", _wheel_metadata()),
        (f"{dist_info}/licenses/LICENSE", (_ROOT / "LICENSE").read_bytes()),
    ]


def _write_wheel(wheel_directory: str, files: list[tuple[str, bytes]]) -> str:
    name = f"{_base_name()}-{_WHEEL_TAG}.whl"
    record_name = f"{_base_name()}.dist-info/RECORD"
    records = []
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files + _dist_info_files():
            info = zipfile.ZipInfo(member, date_time=_TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
            records.append(f"{member},sha256={digest},{len(data)}")
        records.append(f"{record_name},,")
        info = zipfile.ZipInfo(record_name, date_time=_TIMESTAMP)
        info.external_attr = 0o644 << 16
        archive.writestr(info, "\n".join(records) + "\n")
    return name


def get_requires_for_build_wheel(config_settings: Optional[dict[str, Any]] = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict[str, Any]] = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict[str, Any]] = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict[str, Any]] = None) -> str:
    for member, data in _dist_info_files():
        target = Path(metadata_directory) / member
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return f"{_base_name()}.dist-info"


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict[str, Any]] = None, metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory: str, config_settings: Optional[dict[str, Any]] = None, metadata_directory: Optional[str] = None) -> str:
    # A path file puts this directory on sys.path, so edits show without reinstalling.
    return _write_wheel(wheel_directory, [(f"__editable__.{_base_name()}.pth", f"{_ROOT}\n".encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: Optional[dict[str, Any]] = None) -> str:
    name = f"{_base_name()}.tar.gz"
    members = [(Path(__file__).name, Path(__file__).read_bytes())]
    members += [(file, (_ROOT / file).read_bytes()) for file in ("pyproject.toml", "README.md", "LICENSE")]
    members += _package_files()
    members.append(("PKG-INFO", _metadata()))
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for member, data in sorted(members):
            info = tarfile.TarInfo(f"{_base_name()}/{member}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return name
