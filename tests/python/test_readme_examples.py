"""
Every Python program of the READMEs (``readme_examples.py``) runs, as written, as a Pulumi program
under Pulumi's mocks, the mock doing the engine's and the provider host's part
(``EngineAndHostInAMock``: check, then create, through our SDK's real provider and binary) against
a local KMS emulator. The programs of one README section run in order against an emulator of
their own, each in its own working directory; a program that adopts a resource with the
``import_`` option is run first without it, which stands in for the resource made outside the
program. The stack config points at the emulator; the programs' own config holds what they ask
for (a client key password, the other account's key pair), and the environment names the emulator
as the KMS endpoint for resources with settings of their own.
"""

import os
from itertools import groupby
from pathlib import Path

import pulumi
import pytest

from pulumi_alicloud_kms import _provider
from engine_harness import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    PROJECT,
    EngineAndHostInAMock,
    Emulator,
    RecordingMocks,
    enter_program_environment,
    run_program,
    stack_config,
)
from readme_examples import Example, examples

PROGRAM_CONFIG = {
    "clientKeyPassword": "YouPassword123!",
    "shanghaiAccessKeyId": DEMO_ACCESS_KEY_ID,
    "shanghaiAccessKeySecret": DEMO_ACCESS_KEY_SECRET,
}
"""What the programs read with ``pulumi.Config()``; the password and the secret key as secrets."""

SECTIONS = [(key, list(group)) for key, group in groupby(examples("python"), key=lambda example: (example.readme, example.section))]


def test_the_readmes_have_python_programs_in_every_section_that_shows_one() -> None:
    sections = {key for key, _ in SECTIONS}
    for readme in ("sdk/python/README.md",):
        for section in ("A program", "Coming from pulumi-alicloud", "Several regions or accounts", "Importing existing resources"):
            assert (readme, section) in sections
    assert ("README.md", "A program") in sections


def run_example(code: str, where: str, directory: Path, emulator: Emulator) -> EngineAndHostInAMock:
    """Runs one program in ``directory`` and returns what the engine in the mock created."""
    directory.mkdir()
    os.chdir(directory)
    engine = EngineAndHostInAMock(stack_config(emulator))
    mocks = RecordingMocks(engine)
    pulumi.runtime.set_all_config(
        {f"{PROJECT}:{key}": value for key, value in PROGRAM_CONFIG.items()},
        [f"{PROJECT}:clientKeyPassword", f"{PROJECT}:shanghaiAccessKeySecret"],
    )
    try:
        run_program(mocks, lambda: exec(compile(code, where, "exec"), {"__name__": "__main__"}))
    finally:
        # The next program starts its own children, in its own directory.
        _provider.provider_process().stop()
        _provider.set_provider_process(None)
    assert len(engine.created) == len(mocks.registered) > 0, f"{where}: created {engine.created} of {[r.name for r in mocks.registered]}"
    assert all(id_ for _, id_ in engine.created), engine.created
    return engine


@pytest.mark.parametrize("section", [group for _, group in SECTIONS], ids=[f"{readme}: {section}" for (readme, section), _ in SECTIONS])
def test_every_python_program_of_the_readmes_runs(section: list[Example], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = Emulator(tmp_path / "kms-emulator.log")
    enter_program_environment(monkeypatch, tmp_path, ALIBABA_CLOUD_ENDPOINT_KMS=f"http://{emulator.address}")
    try:
        for example in section:
            where = f"{example.readme}, {example.section}, program {example.index}"
            setup = example.setup_code()
            if setup is not None:
                run_example(setup, f"{where} without its import option", tmp_path / f"{example.name}-setup", emulator)
                before = emulator.control("GET", "network-rules")[1]
            engine = run_example(example.code, where, tmp_path / example.name, emulator)
            if setup is not None:
                # Adopted, not created again: the same resource, unchanged.
                assert [id_ for _, id_ in engine.created] == example.import_ids
                assert emulator.control("GET", "network-rules")[1] == before
    finally:
        emulator.stop()

