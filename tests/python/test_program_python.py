"""
Program test of the Python SDK: the seed example (an access point ``terraform-example`` and a
client key in it, whose ``aap_name`` is the access point's output) written as a Python Pulumi
program with ``pulumi_alicloud_kms``, run under Pulumi's mocks. The mock does the engine's and the
provider host's part for each registration: it unpickles the ``__provider`` our SDK registered,
configures it with the stack config once (as ``pulumi/dynamic/__main__.py`` does), then calls its
``check`` and ``create``, which run the real binary against a local emulator. The outputs the
program sees, the key file and the emulator's state are checked.
"""

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any, Iterator

import dill
import pulumi
import pulumi.dynamic
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

import pulumi_alicloud_kms
from pulumi_alicloud_kms import _provider
from engine_harness import PROJECT, Emulator, RecordingMocks, run_program, scrubbed_environment, stack_config, strip_secrets

PASSWORD = "YouPassword123!"


class EngineAndHostInAMock:
    """Answers each dynamic resource registration by running its provider, as a deployment would."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.providers: dict[str, pulumi.dynamic.ResourceProvider] = {}
        self.created: list[tuple[str, str]] = []

    def __call__(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        assert args.typ.startswith("pulumi-python:dynamic/alicloud-kms:"), args.typ
        # The engine sends no secrets to a dynamic provider host (it does not accept them).
        news = strip_secrets(dict(args.inputs))
        serialized = news["__provider"]
        provider = self.providers.get(serialized)
        if provider is None:
            provider = dill.loads(base64.b64decode(serialized))
            provider.configure(pulumi.dynamic.ConfigureRequest(pulumi.dynamic.Config(strip_secrets(self.config), PROJECT)))
            self.providers[serialized] = provider
        checked = provider.check({}, news)
        if checked.failures:
            raise ValueError(f"check failed: {[(failure.property, failure.reason) for failure in checked.failures]}")
        created = provider.create(checked.inputs)
        self.created.append((args.typ, created.id))
        return created.id, created.outs or {}


def seed_program() -> tuple[pulumi_alicloud_kms.ApplicationAccessPoint, pulumi_alicloud_kms.ClientKey]:
    """The seed's Terraform example, in Python."""
    aap = pulumi_alicloud_kms.ApplicationAccessPoint(
        "AAP0",
        policies=["aa"],
        description="aa",
        application_access_point_name="terraform-example",
    )
    key = pulumi_alicloud_kms.ClientKey(
        "default",
        aap_name=aap.application_access_point_name,
        password=PASSWORD,
        not_before="2023-09-01T14:11:22Z",
        not_after="2028-09-01T14:11:22Z",
        private_key_data_file="./private_key_data_file.txt",
    )
    return aap, key


@pytest.fixture
def program_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """
    The program's working directory, which the provider binary inherits (a relative key file
    lands here), and an environment without outer credentials. The SDK's shared child is
    stopped afterwards.
    """
    (tmp_path / "home").mkdir()
    environment = scrubbed_environment(tmp_path / "home")
    for name in list(os.environ):
        if name not in environment:
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        _provider.provider_process().stop()
        _provider.set_provider_process(None)


def test_the_seed_example_runs_end_to_end_from_a_python_program(program_directory: Path, emulator: Emulator) -> None:
    engine = EngineAndHostInAMock(stack_config(emulator))
    mocks = RecordingMocks(engine)
    observed: dict[str, Any] = {}

    async def outputs(aap: pulumi_alicloud_kms.ApplicationAccessPoint, key: pulumi_alicloud_kms.ClientKey) -> None:
        observed["values"] = await pulumi.Output.all(
            aap.id, aap.application_access_point_name, aap.policies, aap.description,
            key.id, key.aap_name, key.not_before, key.not_after, key.create_time, key.private_key_data_file, key.password,
        ).future()
        observed["password_is_secret"] = await key.password.is_secret()

    def program() -> Any:
        return outputs(*seed_program())

    run_program(mocks, program)

    (aap_id, aap_name, policies, description, key_id, key_aap, not_before, not_after, create_time, key_file, password) = observed["values"]
    assert [typ for typ, _ in engine.created] == [
        "pulumi-python:dynamic/alicloud-kms:ApplicationAccessPoint",
        "pulumi-python:dynamic/alicloud-kms:ClientKey",
    ]
    assert (aap_id, aap_name, policies, description) == ("terraform-example", "terraform-example", ["aa"], "aa")
    assert key_id.startswith("KAAP.")
    assert (key_aap, not_before, not_after, key_file, password) == (
        "terraform-example", "2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z", "./private_key_data_file.txt", PASSWORD,
    )
    # The binary returns the password as a secret, so the program's output is one.
    assert observed["password_is_secret"] is True

    kms_key = emulator.client_keys()[key_id]
    assert (kms_key["aap_name"], kms_key["create_time"]) == ("terraform-example", create_time)
    point = emulator.access_points()["terraform-example"]
    assert (point["policies"], point["description"]) == (["aa"], "aa")

    path = program_directory / "private_key_data_file.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = json.loads(path.read_text())
    assert written["KeyId"] == key_id
    # The private key opens with the password, and its certificate names the key.
    _, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(written["PrivateKeyData"]), PASSWORD.encode())
    assert certificate is not None
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == key_id
