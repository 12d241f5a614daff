"""Fixtures of the Python engine-level and program tests: one KMS emulator per test module."""

from typing import Iterator

import pytest

from engine_harness import Emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    directory = tmp_path_factory.mktemp("emulator")
    started = Emulator(directory / "kms-emulator.log")
    try:
        yield started
    finally:
        started.stop()
