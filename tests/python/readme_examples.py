"""
The example programs of the READMEs: every ``python`` and ``typescript`` code block of the
repository's README and the two package READMEs is a whole program, which the tests type-check
strictly (``scripts/test.d/30-sdk.sh``) and run against a local KMS emulator
(``test_readme_examples.py``, ``tests/node/readme_examples.test.js``).

The blocks of one README section (under a `##` or `###` heading) run in order, as one reader
following it would, each in its own
working directory, against an emulator of their own. A block that adopts a resource with the import
option (``import_="<id>"`` / ``import: "<id>"``) is run first without the option, which stands in
for the resource made outside the program.

As a command, it writes the blocks of one language as files, with a manifest:
``python readme_examples.py --language typescript --out DIR`` writes ``DIR/<name>.ts`` (and
``DIR/<name>_setup.ts`` for an import) and ``DIR/examples.json``.
"""

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

READMES = ("README.md", "sdk/python/README.md", "sdk/nodejs/README.md")
"""The READMEs whose code blocks are programs, relative to the repository root."""

EXTENSIONS = {"python": ".py", "typescript": ".ts"}

IMPORT_OPTIONS = {
    "python": re.compile(r'opts=pulumi\.ResourceOptions\(import_="([^"]+)"\)'),
    "typescript": re.compile(r'\{ import: "([^"]+)" \}'),
}
"""How each language writes the import option with a literal id, and what stands in for it when
the setup run leaves it out."""

WITHOUT_IMPORT = {"python": "opts=None", "typescript": "{}"}


@dataclass
class Example:
    readme: str
    section: str
    index: int
    """The block's position among the README's blocks of its language."""
    language: str
    code: str

    @property
    def name(self) -> str:
        """A module name: ``readme_sdk_python_README_3``."""
        return "readme_" + re.sub(r"[^A-Za-z0-9]+", "_", self.readme.removesuffix(".md")).strip("_") + f"_{self.index}"

    @property
    def import_ids(self) -> list[str]:
        return IMPORT_OPTIONS[self.language].findall(self.code)

    def setup_code(self) -> Optional[str]:
        """The program without its import option, which makes what the program then adopts."""
        if not self.import_ids:
            return None
        return IMPORT_OPTIONS[self.language].sub(WITHOUT_IMPORT[self.language], self.code)


def examples(language: str, root: Path = ROOT) -> list[Example]:
    """Every code block of ``language`` in the READMEs, in document order."""
    found: list[Example] = []
    for readme in READMES:
        section = ""
        block: Optional[list[str]] = None
        index = 0
        for line in (root / readme).read_text().splitlines():
            if block is not None:
                if line.strip() == "```":
                    found.append(Example(readme, section, index, language, "\n".join(block) + "\n"))
                    index += 1
                    block = None
                else:
                    block.append(line)
            elif line.strip() == f"```{language}":
                block = []
            elif line.startswith(("## ", "### ")):
                section = line.lstrip("#").strip()
        assert block is None, f"{readme}: a {language} block is not closed"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=sorted(EXTENSIONS), required=True)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    extension = EXTENSIONS[arguments.language]
    manifest = []
    for example in examples(arguments.language):
        (arguments.out / f"{example.name}{extension}").write_text(example.code)
        setup = example.setup_code()
        if setup is not None:
            (arguments.out / f"{example.name}_setup{extension}").write_text(setup)
        manifest.append(
            {
                "readme": example.readme,
                "section": example.section,
                "name": example.name,
                "setup": None if setup is None else f"{example.name}_setup",
                "importIds": example.import_ids,
            }
        )
    (arguments.out / "examples.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
