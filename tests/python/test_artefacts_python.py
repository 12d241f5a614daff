"""
Tests of the Python artefact as a user installs it (``scripts/test.d/50-artefacts.sh``): the
manylinux wheel installed into a fresh virtual environment with the lowest ``pulumi`` the package
declares, run by that environment's interpreter with its ``bin/`` not on ``PATH``, no cargo on
``PATH`` and no ``ALICLOUD_KMS_PROVIDER_PATH``. The seed example goes through Pulumi's real
``pulumi.dynamic`` host to a local emulator; resources with their own provider settings reach their
own account; the settings' secrets stay out of ``__provider`` and are secret in the state;
options the SDK cannot honour are errors; the ``import_`` option adopts an existing resource.
"""

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import grpc
import pulumi
import pytest
from pulumi.runtime.proto import provider_pb2

import pulumi_alicloud_kms as kms
from engine_harness import (
    Emulator,
    Engine,
    ProviderHost,
    RecordingMocks,
    is_secret,
    run_program,
    scrubbed_environment,
    stack_config,
    start_python_host,
    urn_of,
    without_provider,
)

PASSWORD = "YouPassword123!"
OTHER_ACCESS_KEY_ID = "shanghai-access-key-id"
OTHER_ACCESS_KEY_SECRET = "shanghai-secret-9f1c2e7d"


@dataclass
class Link:
    """One resource of the seed example; ``args`` may use the deployed links before it."""

    name: str
    resource: Callable[..., Any]
    args: Callable[[dict[str, "Deployed"]], dict[str, Any]]


@dataclass
class Deployed:
    urn: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


SEED_CHAIN = [
    Link("networkRule", kms.NetworkRule, lambda deployed: {
        "source_private_ips": ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"],
        "description": "example-description",
    }),
    Link("policy", kms.Policy, lambda deployed: {
        "policy_name": "terraform-example-policy",
        "kms_instance_id": "kst-hzz634e67d126u9p9example",
        "permissions": ["RbacPermission/Template/CryptoServiceKeyUser"],
        "resources": ["key/*"],
        "access_control_rules": json.dumps({"NetworkRules": [deployed["networkRule"].outputs["network_rule_name"]]}),
    }),
    Link("AAP0", kms.ApplicationAccessPoint, lambda deployed: {
        "application_access_point_name": "terraform-example",
        "policies": [deployed["policy"].outputs["policy_name"]],
        "description": "aa",
    }),
    Link("default", kms.ClientKey, lambda deployed: {
        "aap_name": deployed["AAP0"].outputs["application_access_point_name"],
        "password": PASSWORD,
        "not_before": "2023-09-01T14:11:22Z",
        "not_after": "2028-09-01T14:11:22Z",
        "private_key_data_file": "./private_key_data_file.txt",
    }),
]
"""
The seed example as the engine deploys it, in dependency order: the whole chain (network rule →
policy → access point → client key), each link's outputs feeding the next one's inputs.
"""


@dataclass
class Host:
    process: ProviderHost
    engine: Engine
    directory: Path


@pytest.fixture(scope="module")
def other_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A second account in another region: its own credential, its own resources."""
    directory = tmp_path_factory.mktemp("other-emulator")
    started = Emulator(directory / "kms-emulator.log", "--credential", f"{OTHER_ACCESS_KEY_ID}:{OTHER_ACCESS_KEY_SECRET}", "--region", "cn-shanghai")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def host(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    directory = tmp_path_factory.mktemp("python-artefacts")
    (directory / "home").mkdir()
    process = start_python_host(directory, scrubbed_environment(directory / "home"), directory / "host.stderr")
    try:
        engine = Engine(process.stub, "pulumi-python")
        engine.configure(stack_config(emulator))
        yield Host(process, engine, directory)
    finally:
        process.stop()


def register(resource_class: Any, name: str, opts: Any = None, **args: Any) -> tuple[str, dict[str, Any]]:
    mocks = RecordingMocks()
    run_program(mocks, lambda: resource_class(name, opts=opts, **args).urn)
    (registration,) = [entry for entry in mocks.registered if entry.name == name]
    return urn_of(registration.typ, name), dict(registration.inputs)


def deploy(engine: Engine, urn: str, inputs: dict[str, Any]) -> Deployed:
    checked = engine.check(urn, {}, inputs)
    assert checked.failures == []
    id_, outputs = engine.create(urn, checked.inputs)
    return Deployed(urn, id_, checked.inputs, outputs)


def test_provider_binary_is_the_installed_one_without_path_cargo_or_variable() -> None:
    assert "ALICLOUD_KMS_PROVIDER_PATH" not in os.environ
    assert shutil.which("cargo") is None
    scripts = Path(sys.executable).parent
    assert str(scripts) not in os.environ.get("PATH", "").split(os.pathsep), "the venv's bin/ must not be on PATH"
    assert shutil.which("alicloud-kms-provider") is None
    binary = Path(kms.provider_binary())
    assert binary == scripts / "alicloud-kms-provider"
    assert os.access(binary, os.X_OK)


def test_the_seed_example_through_the_real_python_host(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    deployed: dict[str, Deployed] = {}
    for link in SEED_CHAIN:
        urn, inputs = register(link.resource, link.name, **link.args(deployed))
        deployed[link.name] = deploy(engine, urn, inputs)
    rule_name = deployed["networkRule"].id
    assert rule_name.startswith("networkRule-"), rule_name
    assert [policy["network_rules"] for policy in emulator.control("GET", "policies")[1]["policies"]] == [[rule_name]]
    assert deployed["AAP0"].id == "terraform-example"
    assert emulator.access_points()["terraform-example"]["policies"] == ["terraform-example-policy"]
    key_id = deployed["default"].id
    assert emulator.client_keys()[key_id]["aap_name"] == "terraform-example"
    assert is_secret(deployed["default"].outputs["password"])
    assert json.loads((host.directory / "private_key_data_file.txt").read_text())["KeyId"] == key_id

    for link in SEED_CHAIN:
        urn, inputs = register(link.resource, link.name, **link.args(deployed))
        state = deployed[link.name]
        read_id, read_outputs, _ = engine.read(urn, state.id, state.outputs, state.inputs)
        assert read_id == state.id
        checked = engine.check(urn, state.inputs, inputs)
        assert checked.failures == []
        diff = engine.diff(urn, state.id, state.inputs, read_outputs, checked.inputs)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, link.name

    for link in reversed(SEED_CHAIN):
        state = deployed[link.name]
        engine.delete(state.urn, state.id, state.inputs, state.outputs)
    assert emulator.client_keys() == {}
    assert emulator.access_points() == {}
    assert emulator.control("GET", "policies")[1]["policies"] == []
    assert emulator.control("GET", "network-rules")[1]["network_rules"] == []


def test_check_failures_name_python_properties_in_their_messages(host: Host) -> None:
    urn, inputs = register(kms.ClientKey, "bad-key", aap_name="a", password=PASSWORD, not_before="2028-09-01T14:11:22Z", not_after="2023-09-01T14:11:22Z")
    checked = host.engine.check(urn, {}, inputs)
    ((property_, reason),) = checked.failures
    assert property_ == "not_after"
    assert "not_after" in reason and "not_before" in reason, reason
    assert "notAfter" not in reason and "notBefore" not in reason, reason


def test_a_resource_with_its_own_settings_reaches_its_own_account(host: Host, emulator: Emulator, other_emulator: Emulator) -> None:
    settings = kms.ProviderSettings(
        endpoint=other_emulator.address,
        protocol="HTTP",
        region="cn-shanghai",
        access_key=OTHER_ACCESS_KEY_ID,
        secret_key=pulumi.Output.secret(OTHER_ACCESS_KEY_SECRET),
    )
    urn, inputs = register(kms.ApplicationAccessPoint, "in-shanghai", application_access_point_name="shanghai-aap", policies=["aa"], provider_settings=settings)
    # What the state keeps: the pickled provider without the secret, the settings as a secret.
    assert OTHER_ACCESS_KEY_SECRET not in json.dumps(inputs["__provider"])
    assert is_secret(inputs["__providerSettings"])
    assert inputs["__providerSettings"]["value"]["secretKey"] == OTHER_ACCESS_KEY_SECRET
    assert inputs["__providerSettings"]["value"]["accessKey"] == OTHER_ACCESS_KEY_ID

    deployed = deploy(host.engine, urn, inputs)
    assert deployed.id == "shanghai-aap"
    assert is_secret(deployed.inputs["__providerSettings"])
    assert is_secret(deployed.outputs["__providerSettings"])
    assert "shanghai-aap" in other_emulator.access_points()
    assert "shanghai-aap" not in emulator.access_points()

    # Read and delete get only the state, and still reach the same account.
    read_id, _, _ = host.engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)
    assert read_id == "shanghai-aap"
    host.engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs)
    assert other_emulator.access_points() == {}


def test_options_the_sdk_cannot_honour_are_errors() -> None:
    def with_provider_option() -> Any:
        provider = pulumi.ProviderResource("alicloud", "explicit", {})
        return kms.ApplicationAccessPoint("refused", application_access_point_name="refused", policies=["aa"], opts=pulumi.ResourceOptions(provider=provider)).urn

    with pytest.raises(TypeError, match=r"`provider` and `providers` options cannot be honoured.*provider_settings"):
        run_program(RecordingMocks(), with_provider_option)
    with pytest.raises(TypeError, match=r"provider_settings must be a pulumi_alicloud_kms.ProviderSettings"):
        kms.ApplicationAccessPoint("refused", application_access_point_name="refused", policies=["aa"], provider_settings={"region": "x"})  # type: ignore[arg-type]


def test_the_import_option_adopts_an_existing_resource_or_names_the_difference(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    args = {"application_access_point_name": "adopted-aap", "policies": ["aa"], "description": "made elsewhere"}
    urn, inputs = register(kms.ApplicationAccessPoint, "original", **args)
    made = deploy(engine, urn, inputs)

    mismatched_urn, mismatched = register(kms.ApplicationAccessPoint, "adopted", opts=pulumi.ResourceOptions(import_="adopted-aap"), **{**args, "description": "other"})
    checked = engine.check(mismatched_urn, {}, mismatched)
    with pytest.raises(grpc.RpcError, match=r"cannot import .* differ from the existing resource in `description`"):
        engine.create(mismatched_urn, checked.inputs)

    adopted_urn, adopted = register(kms.ApplicationAccessPoint, "adopted", opts=pulumi.ResourceOptions(import_="adopted-aap"), **args)
    assert adopted["__import"] == "adopted-aap"
    deployed = deploy(engine, adopted_urn, adopted)
    assert deployed.id == "adopted-aap"
    assert without_provider(deployed.outputs) == {"application_access_point_name": "adopted-aap", "policies": ["aa"], "description": "made elsewhere"}
    assert list(emulator.access_points()) == ["adopted-aap"]

    engine.delete(made.urn, made.id, made.inputs, made.outputs)
    assert emulator.access_points() == {}


def test_every_package_file_the_readmes_name_is_in_dist() -> None:
    # What a reader copies into `pip install` / `npm install` must be what scripts/package.sh made.
    import re

    root = Path(__file__).resolve().parents[2]
    built = {path.name for path in (root / "dist").iterdir()}
    named: set[str] = set()
    for readme in ("README.md", "sdk/python/README.md", "sdk/nodejs/README.md"):
        named |= set(re.findall(r"pulumi[-_]alicloud[-_]kms[A-Za-z0-9._-]*?(?:\.whl|\.tar\.gz|\.tgz)\b", (root / readme).read_text()))
    assert {name for name in named if name.endswith(".whl")}, named
    assert {name for name in named if name.endswith(".tar.gz")} and {name for name in named if name.endswith(".tgz")}, named
    assert named <= built, f"named in the READMEs but not built: {sorted(named - built)}; dist/ has {sorted(built)}"
