"""
Fixtures of the Python engine-level and program tests: one KMS emulator per test module, and for
the engine-level tests one Pulumi Python provider host per module, with the helpers that register
a resource through our SDK and deploy it as the engine does.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from pulumi.runtime.proto import provider_pb2

from engine_harness import (
    FAST_RETRIES,
    Emulator,
    Engine,
    ProviderHost,
    RecordingMocks,
    run_program,
    scrubbed_environment,
    stack_config,
    start_python_host,
    urn_of,
)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    directory = tmp_path_factory.mktemp("emulator")
    started = Emulator(directory / "kms-emulator.log")
    try:
        yield started
    finally:
        started.stop()


@dataclass
class Host:
    process: ProviderHost
    engine: Engine
    configured: provider_pb2.ConfigureResponse
    program_directory: Path
    """The host's working directory: where a relative ``private_key_data_file`` lands."""


@dataclass
class Deployed:
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@pytest.fixture(scope="module")
def host(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    directory = tmp_path_factory.mktemp("python-host")
    (directory / "home").mkdir()
    (directory / "program").mkdir()
    # Short KMS retry waits in the binary, for the test that injects a lasting fault.
    process = start_python_host(directory / "program", scrubbed_environment(directory / "home", **FAST_RETRIES), directory / "host.stderr")
    try:
        engine = Engine(process.stub, "pulumi-python")
        configured = engine.configure(stack_config(emulator))
        yield Host(process, engine, configured, directory / "program")
    finally:
        process.stop()


def register(resource_class: Any, name: str, **args: Any) -> tuple[str, str, dict[str, Any]]:
    """Runs a one-resource program with our SDK under mocks; returns the URN, the type and the inputs it registers."""
    mocks = RecordingMocks()
    run_program(mocks, lambda: resource_class(name, **args).urn)
    (registration,) = mocks.registered
    return urn_of(registration.typ, name), registration.typ, dict(registration.inputs)


def deploy(engine: Engine, urn: str, inputs: dict[str, Any]) -> Deployed:
    """What ``pulumi up`` does for a new resource: Check, then Create with the checked inputs."""
    checked = engine.check(urn, {}, inputs)
    assert checked.failures == []
    id_, outputs = engine.create(urn, checked.inputs)
    return Deployed(urn, id_, checked.inputs, outputs)
