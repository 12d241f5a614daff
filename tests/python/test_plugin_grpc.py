"""
The native plugin ``pulumi-resource-alicloud-kms``, driven as the Pulumi engine drives a resource
plugin, with the official ``pulumi`` package's gRPC stubs in the engine's part
(``plugin_harness``): launched with flags and the address of a fake ``Engine`` service, its port
read from its first stdout line, then every method it serves through the seed example's chain
against a local KMS emulator: provider configuration (``CheckConfig``, ``DiffConfig``,
``Configure``), preview, create, refresh, update in place, import by id, replacement with
delete-before-replace, delete, a partial failure, explicit providers (``pulumi:providers:alicloud-kms``),
``Cancel``, ``Attach``, errors, and shutdown.

What this does not prove, and only a real ``pulumi up`` would, is listed in ``docs/grpc-plugin.md``.
"""

import json
import os
import re
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, status_pb2

from engine_harness import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    FAST_RETRIES,
    Emulator,
    from_struct,
    is_secret,
    required_path,
    scrubbed_environment,
    secret,
)
from plugin_harness import PROVIDER_TYPE, SCHEMA_VERSION, Deployed, FakeEngine, PluginEngine, PluginProcess

REPOSITORY = Path(__file__).resolve().parents[2]
NETWORK_RULE = "alicloud-kms:index:NetworkRule"
POLICY = "alicloud-kms:index:Policy"
ACCESS_POINT = "alicloud-kms:index:ApplicationAccessPoint"
CLIENT_KEY = "alicloud-kms:index:ClientKey"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PASSWORD = "YouPassword123!"
KEY_USER = "RbacPermission/Template/CryptoServiceKeyUser"
NO_CHANGE = provider_pb2.DiffResponse.DIFF_NONE
SOME_CHANGE = provider_pb2.DiffResponse.DIFF_SOME


def provider_inputs(emulator: Emulator, **overrides: Any) -> dict[str, Any]:
    """The provider's inputs as the engine holds them: the stack config (``alicloud-kms:*``) without
    its namespace, the secret key marked, and the plugin's version the engine adds."""
    inputs: dict[str, Any] = {
        "endpoint": emulator.address,
        "protocol": "HTTP",
        "accessKey": DEMO_ACCESS_KEY_ID,
        "secretKey": secret(DEMO_ACCESS_KEY_SECRET),
        "version": SCHEMA_VERSION,
    }
    inputs.update(overrides)
    return inputs


class Session:
    """A fake engine and one plugin process it launched."""

    inputs: dict[str, Any]
    """The provider's inputs as ``CheckConfig`` returned them and ``Configure`` got them."""

    def __init__(self, directory: Path, engine_address: Optional[str] = "fake", **environment: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "home").mkdir(exist_ok=True)
        self.program = directory / "program"
        self.program.mkdir(exist_ok=True)
        self.fake_engine = FakeEngine()
        address = self.fake_engine.address if engine_address == "fake" else engine_address
        self.plugin = PluginProcess(address, self.program, scrubbed_environment(directory / "home", **environment), directory / "plugin.stderr")
        self.engine = PluginEngine(self.plugin.stub, self.fake_engine.address)

    def configured(self, inputs: dict[str, Any], name: str = "default") -> "Session":
        """The engine's start of a provider: Handshake, CheckConfig, then Configure with the checked inputs."""
        self.engine.handshake()
        checked = self.engine.check_config(name, inputs)
        assert list(checked.failures) == [], checked.failures
        self.inputs = from_struct(checked.inputs)
        self.engine.configure(self.inputs, name)
        return self

    def stop(self) -> None:
        self.plugin.stop()
        self.fake_engine.stop()


@pytest.fixture(scope="module")
def session(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    # Short KMS retry waits (the binary's test hook), for the partial failure below; every log
    # level on, so that the tests see no secret reaches stderr even then.
    started = Session(tmp_path_factory.mktemp("plugin"), RUST_LOG="trace", **FAST_RETRIES)
    try:
        yield started.configured(provider_inputs(emulator))
    finally:
        started.stop()


def names(emulator: Emulator, route: str, key: str) -> set[str]:
    status, answer = emulator.control("GET", route)
    assert status == 200, answer
    return {item["name"] for item in answer[key]}


def kms_state(emulator: Emulator) -> tuple[Any, ...]:
    return (
        emulator.control("GET", "network-rules")[1],
        emulator.control("GET", "policies")[1],
        emulator.access_points(),
        emulator.client_keys(),
    )


def program(rule_name: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """The seed example's chain, as a program registers it (the rule's name left to auto-naming)."""
    return [
        (NETWORK_RULE, "networkRule", {"sourcePrivateIps": ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"], "description": "example-description"}),
        (
            POLICY,
            "policy",
            {
                "policyName": "plugin-example-policy",
                "kmsInstanceId": "kst-hzz634e67d126u9p9example",
                "permissions": [KEY_USER],
                "resources": ["key/*"],
                "accessControlRules": rule_name if rule_name == UNKNOWN else json.dumps({"NetworkRules": [rule_name]}),
            },
        ),
        (ACCESS_POINT, "AAP0", {"applicationAccessPointName": "plugin-example", "policies": ["plugin-example-policy"], "description": "aa"}),
        (
            CLIENT_KEY,
            "default",
            {
                "aapName": "plugin-example",
                "password": secret(PASSWORD),
                "notBefore": "2023-09-01T14:11:22Z",
                "notAfter": "2028-09-01T14:11:22Z",
                "privateKeyDataFile": "./private_key_data_file.txt",
            },
        ),
    ]


def test_the_plugin_starts_as_the_engine_starts_it_and_describes_itself(session: Session) -> None:
    assert session.plugin.first_line == f"{session.plugin.port}\n", "the port alone on the first line"
    info = session.plugin.stub.GetPluginInfo(empty_pb2.Empty())
    assert info.version == SCHEMA_VERSION
    schema = session.plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema
    assert schema == (REPOSITORY / "schema/schema.json").read_text(encoding="utf-8")
    handshake = session.engine.handshake()
    assert (handshake.accept_secrets, handshake.accept_resources) == (True, True)
    configured = session.engine.configure(session.inputs)
    assert (configured.acceptSecrets, configured.supportsPreview, configured.acceptResources) == (True, True, True)
    # What the plugin does not offer is UNIMPLEMENTED, which the engine takes as "not supported".
    for call in (
        lambda: session.plugin.stub.Invoke(provider_pb2.InvokeRequest(tok="alicloud-kms:index:nothing")),
        lambda: session.plugin.stub.GetMapping(provider_pb2.GetMappingRequest(key="terraform")),
    ):
        with pytest.raises(grpc.RpcError) as raised:
            call()
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_provider_configuration_is_checked_and_diffed_as_the_engine_asks(session: Session, emulator: Emulator) -> None:
    engine = session.engine
    checked = engine.check_config("default", provider_inputs(emulator, region="cn-hangzhou"))
    assert list(checked.failures) == []
    inputs = from_struct(checked.inputs)
    assert is_secret(inputs["secretKey"]), "a schema secret comes back marked, though the engine sent it plain"
    assert inputs["version"] == SCHEMA_VERSION, "the engine's own key passes through"

    refused = engine.check_config("default", {"regoin": "cn-hangzhou", "protocol": "ftp", "version": SCHEMA_VERSION})
    reasons = {failure.property: failure.reason for failure in refused.failures}
    assert set(reasons) == {"regoin", "protocol"}
    assert "did you mean region?" in reasons["regoin"]

    old = {"region": "cn-hangzhou", "accessKey": "a", "secretKey": secret("s"), "version": SCHEMA_VERSION}
    assert engine.diff_config("default", old, {**old, "version": "0.2.0"}).changes == NO_CHANGE
    rotated = engine.diff_config("default", old, {**old, "accessKey": "b", "secretKey": secret("t")})
    assert (rotated.changes, list(rotated.replaces), sorted(rotated.diffs)) == (SOME_CHANGE, [], ["accessKey", "secretKey"])
    moved = engine.diff_config("default", old, {**old, "region": "cn-shanghai"})
    assert (moved.changes, list(moved.replaces)) == (SOME_CHANGE, ["region"])
    assert moved.detailedDiff["region"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE


def test_the_seed_chain_previewed_created_refreshed_updated_imported_and_deleted(session: Session, emulator: Emulator) -> None:
    engine = session.engine
    before = kms_state(emulator)
    calls_before = emulator.control("GET", "calls")[1]

    # Preview: Check, then Create with preview on, for the whole chain; the client key's access
    # point as a value not known yet. Nothing is sent to KMS, nothing is written.
    rule_name = engine.checked(NETWORK_RULE, "networkRule", program(UNKNOWN)[0][2])["networkRuleName"]
    assert rule_name.startswith("networkRule-") and len(rule_name) == len("networkRule-") + 7
    assert engine.checked(NETWORK_RULE, "networkRule", program(UNKNOWN)[0][2])["networkRuleName"] == rule_name, "the same seed, the same name"
    for type_token, name, news in program(UNKNOWN):
        if type_token == CLIENT_KEY:
            news = {**news, "aapName": UNKNOWN}
        planned = engine.create(type_token, name, engine.checked(type_token, name, news), preview=True)
        assert planned.id == ""
        if type_token == CLIENT_KEY:
            assert planned.outputs["aapName"] == UNKNOWN and planned.outputs["createTime"] == UNKNOWN
            assert is_secret(planned.outputs["password"])
    assert kms_state(emulator) == before
    assert emulator.control("GET", "calls")[1] == calls_before, "a preview never calls KMS"
    assert not (session.program / "private_key_data_file.txt").exists()

    # Create, in dependency order, each resource's inputs as the engine resolved them.
    deployed: dict[str, Deployed] = {}
    for type_token, name, news in program(rule_name):
        deployed[name] = engine.deploy(type_token, name, news)
    rule, policy, point, key = (deployed[name] for name in ("networkRule", "policy", "AAP0", "default"))
    assert rule.id == rule_name and rule_name in names(emulator, "network-rules", "network_rules")
    assert policy.id == "plugin-example-policy" and point.id == "plugin-example"
    assert key.id.startswith("KAAP.") and key.id in emulator.client_keys()
    assert is_secret(key.outputs["password"]) and key.outputs["password"]["value"] == PASSWORD
    assert key.outputs["createTime"] == emulator.client_keys()[key.id]["create_time"]
    key_file = session.program / "private_key_data_file.txt"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert json.loads(key_file.read_text())["KeyId"] == key.id
    # Its log message reached the engine before its reply did, with its severity and URN.
    logged = [entry for entry in session.fake_engine.entries() if entry.urn == key.urn]
    assert any(entry.severity == "INFO" and key.id in entry.message for entry in logged), session.fake_engine.entries()

    # A second `up` of the same program: no diff anywhere.
    for type_token, name, news in program(rule_name):
        resource = deployed[name]
        again = engine.checked(type_token, name, news, olds=resource.inputs)
        assert engine.diff(resource, again).changes == NO_CHANGE, name

    # Refresh: each read back, then diffed as the engine does after a read; no drift.
    for resource in deployed.values():
        read_id, outputs, inputs = engine.read(resource)
        assert read_id == resource.id
        refreshed = Deployed(resource.urn, resource.type, read_id, inputs, outputs)
        assert engine.diff(refreshed, resource.inputs).changes == NO_CHANGE, resource.urn
    _, refreshed_key, _ = engine.read(key)
    assert is_secret(refreshed_key["password"])

    # Update in place: the access point's description, previewed first (nothing changes), then applied.
    news = {**program(rule_name)[2][2], "description": "bb"}
    checked = engine.checked(ACCESS_POINT, "AAP0", news, olds=point.inputs)
    diff = engine.diff(point, checked)
    assert (diff.changes, list(diff.replaces), dict(diff.detailedDiff)) == (
        SOME_CHANGE, [], {"description": provider_pb2.PropertyDiff(kind=provider_pb2.PropertyDiff.UPDATE)},
    )
    assert engine.update(point, checked, preview=True)["description"] == "bb"
    assert emulator.access_points()["plugin-example"]["description"] == "aa"
    assert engine.update(point, checked)["description"] == "bb"
    assert emulator.access_points()["plugin-example"]["description"] == "bb"
    point = Deployed(point.urn, point.type, point.id, checked, {**point.outputs, "description": "bb"})

    # Import by id (`pulumi import <type> <name> <id>`): a read with the id alone gives the
    # properties and the inputs; the program's inputs, checked against them, show no difference.
    state_before_import = kms_state(emulator)
    for type_token, name, news in program(rule_name):
        existing = deployed[name] if name != "AAP0" else point
        imported = Deployed(engine.urn(type_token, f"imported-{name}"), type_token, existing.id, {}, {})
        read_id, outputs, inputs = engine.read(imported, with_state=False)
        assert read_id == existing.id, name
        assert inputs, f"{name}: an import needs the inputs back"
        if type_token == ACCESS_POINT:
            news = {**news, "description": "bb"}
        if type_token == NETWORK_RULE:
            news = {**news, "networkRuleName": rule_name}
        checked = engine.checked(type_token, f"imported-{name}", news, olds=inputs)
        diff = engine.diff(Deployed(imported.urn, type_token, read_id, inputs, outputs), checked)
        assert diff.changes == NO_CHANGE, (name, diff)
    assert kms_state(emulator) == state_before_import, "an import changes nothing"

    # Delete, in reverse dependency order: the key file goes with its key.
    for resource in (key, point, policy, rule):
        engine.delete(resource)
    assert not key_file.exists()
    assert key.id not in emulator.client_keys()
    assert "plugin-example" not in emulator.access_points()
    assert "plugin-example-policy" not in names(emulator, "policies", "policies")
    assert rule_name not in names(emulator, "network-rules", "network_rules")

    # No secret reached a log, at the trace level.
    stderr = session.plugin.stderr()
    assert " DEBUG " in stderr, "the debug and trace levels were on"
    for secret_text in (PASSWORD, DEMO_ACCESS_KEY_SECRET):
        assert secret_text not in stderr
        assert not any(secret_text in entry.message for entry in session.fake_engine.entries())


def test_a_replacement_that_keeps_the_name_deletes_before_it_creates(session: Session, emulator: Emulator) -> None:
    engine = session.engine
    news = {
        "policyName": "plugin-replaced-policy",
        "kmsInstanceId": "kst-first",
        "permissions": [KEY_USER],
        "resources": ["key/*"],
        "accessControlRules": json.dumps({"NetworkRules": []}),
    }
    policy = engine.deploy(POLICY, "replaced", news)
    moved = {**news, "kmsInstanceId": "kst-second"}
    diff = engine.diff(policy, engine.checked(POLICY, "replaced", moved, olds=policy.inputs))
    assert (diff.changes, list(diff.replaces), diff.deleteBeforeReplace) == (SOME_CHANGE, ["kmsInstanceId"], True)
    # The engine's order for delete-before-replace: the old one goes, then the new one is
    # checked afresh (no olds) and created.
    engine.delete(policy)
    assert "plugin-replaced-policy" not in names(emulator, "policies", "policies")
    replacement = engine.deploy(POLICY, "replaced", moved)
    stored = {item["name"]: item for item in emulator.control("GET", "policies")[1]["policies"]}
    assert stored["plugin-replaced-policy"]["kms_instance"] == "kst-second"
    engine.delete(replacement)


def test_a_partial_failure_reaches_the_engine_as_an_init_failure_it_keeps(session: Session, emulator: Emulator) -> None:
    engine = session.engine
    point = engine.deploy(ACCESS_POINT, "half-aap", {"applicationAccessPointName": "plugin-half", "policies": ["aa"]})
    news = {**program("unused")[3][2], "aapName": "plugin-half", "privateKeyDataFile": "./half.json"}
    inputs = engine.checked(CLIENT_KEY, "half", news)
    assert emulator.control("PUT", "faults/GetClientKey", {"server_error_ratio": 1.0})[0] == 200
    try:
        with pytest.raises(grpc.RpcError) as raised:
            engine.create(CLIENT_KEY, "half", inputs)
    finally:
        assert emulator.control("DELETE", "faults/GetClientKey")[0] == 200
    error: Any = raised.value
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert "was created but is not fully initialised" in error.details()
    # The detail the engine reads (`parseError`): a google.rpc.Status in the trailer, holding
    # pulumirpc.ErrorResourceInitFailed with the id and properties to keep.
    details = dict(error.trailing_metadata())["grpc-status-details-bin"]
    (packed,) = status_pb2.Status.FromString(details).details
    init_failed = provider_pb2.ErrorResourceInitFailed()
    assert packed.Unpack(init_failed)
    assert init_failed.id in emulator.client_keys()
    properties = from_struct(init_failed.properties)
    assert properties["aapName"] == "plugin-half" and is_secret(properties["password"])
    assert "GetClientKey" in init_failed.reasons[0]
    # Kept in state, the next refresh completes it, and it can be deleted.
    kept = Deployed(engine.urn(CLIENT_KEY, "half"), CLIENT_KEY, init_failed.id, inputs, properties)
    _, outputs, _ = engine.read(kept)
    assert outputs["createTime"] == emulator.client_keys()[init_failed.id]["create_time"]
    engine.delete(Deployed(kept.urn, CLIENT_KEY, kept.id, inputs, outputs))
    engine.delete(point)
    assert init_failed.id not in emulator.client_keys()


def json_rpc_error(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC binary's error for the same request, for comparison."""
    import subprocess

    binary = os.environ.get("ALICLOUD_KMS_PROVIDER_PATH") or str(Path(required_path("KMS_PLUGIN_PATH")).with_name("alicloud-kms-provider"))
    line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    output = subprocess.run([binary], input=line + "\n", capture_output=True, text=True, timeout=60, check=True)
    reply: dict[str, Any] = json.loads(output.stdout.splitlines()[-1])
    return reply["error"]


def test_errors_are_statuses_with_the_messages_of_the_json_rpc_protocol(session: Session) -> None:
    engine = session.engine
    cases: list[tuple[Any, str, dict[str, Any], grpc.StatusCode]] = [
        (
            lambda: engine.check("alicloud:kms/clientKey:ClientKey", "k", {"aapName": "a"}),
            "check",
            {"urn": engine.urn("alicloud:kms/clientKey:ClientKey", "k"), "news": {"aapName": "a"}},
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            lambda: engine.read(Deployed(engine.urn(CLIENT_KEY, "k"), CLIENT_KEY, "not a key id", {}, {}), with_state=False),
            "read",
            {"urn": engine.urn(CLIENT_KEY, "k"), "id": "not a key id", "properties": {}},
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            lambda: engine.create(CLIENT_KEY, "k", {"aapName": "a"}),
            "create",
            {"urn": engine.urn(CLIENT_KEY, "k"), "properties": {"aapName": "a"}},
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ]
    for call, method, params, code in cases:
        with pytest.raises(grpc.RpcError) as raised:
            call()
        error: Any = raised.value
        assert error.code() == code, method
        assert error.details() == json_rpc_error(method, params)["message"], method


def test_refusals_say_what_to_do_and_leave_the_engine_nothing_to_guess(session: Session, emulator: Emulator) -> None:
    engine = session.engine
    policy = engine.deploy(
        POLICY,
        "bound",
        {"policyName": "plugin-bound", "kmsInstanceId": "kst-1", "permissions": [KEY_USER], "resources": ["key/*"],
         "accessControlRules": json.dumps({"NetworkRules": []})},
    )
    point = engine.deploy(ACCESS_POINT, "bound-aap", {"applicationAccessPointName": "plugin-bound-aap", "policies": ["plugin-bound"]})
    # The provider's own refusal: a policy an access point still lists is kept. Well understood
    # (nothing was deleted), so not a code that leaves the engine guessing.
    with pytest.raises(grpc.RpcError) as raised:
        engine.delete(policy)
    in_use: Any = raised.value
    assert in_use.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "still in use by the application access points plugin-bound-aap" in in_use.details()
    assert "plugin-bound" in names(emulator, "policies", "policies")

    # KMS's refusal: the service's code, its advice and the RequestId; nothing was created.
    keys_before = set(emulator.client_keys())
    news = {**program("unused")[3][2], "aapName": "plugin-no-such-aap", "privateKeyDataFile": "./refused.json"}
    with pytest.raises(grpc.RpcError) as raised:
        engine.create(CLIENT_KEY, "refused", engine.checked(CLIENT_KEY, "refused", news))
    refusal: Any = raised.value
    assert refusal.code() == grpc.StatusCode.FAILED_PRECONDITION, refusal
    assert "requestId=" in refusal.details() and "plugin-no-such-aap" in refusal.details(), refusal.details()
    assert set(emulator.client_keys()) == keys_before
    assert not (session.program / "refused.json").exists()

    engine.delete(point)
    engine.delete(policy)


def test_an_explicit_provider_uses_its_own_settings(emulator: Emulator, tmp_path: Path) -> None:
    # A second account, in another region, behind its own endpoint: the Pulumi way is a provider
    # resource `pulumi:providers:alicloud-kms` with those settings, which the engine serves with a
    # plugin process of its own.
    other = Emulator(tmp_path / "other-emulator.log", "--credential", "other-key-id:other-key-secret", "--region", "cn-shanghai")
    explicit = Session(tmp_path / "explicit")
    wrong = Session(tmp_path / "wrong")
    try:
        settings = provider_inputs(other, region="cn-shanghai", accessKey="other-key-id", secretKey=secret("other-key-secret"))
        explicit.configured(settings, name="shanghai")
        rule = explicit.engine.deploy(NETWORK_RULE, "shanghai-rule", {"networkRuleName": "plugin-shanghai", "sourcePrivateIps": ["10.0.0.1"]})
        assert "plugin-shanghai" in names(other, "network-rules", "network_rules")
        assert "plugin-shanghai" not in names(emulator, "network-rules", "network_rules")
        # The settings of the stack config (the default provider) against the explicit ones:
        # a new region replaces the provider and so its resources.
        diff = explicit.engine.diff_config("shanghai", provider_inputs(emulator, region="cn-hangzhou"), settings)
        assert "region" in list(diff.replaces)

        wrong.configured(provider_inputs(other, accessKey="other-key-id", secretKey=secret("not-the-secret")), name="wrong")
        with pytest.raises(grpc.RpcError) as raised:
            wrong.engine.deploy(NETWORK_RULE, "wrong-rule", {"networkRuleName": "plugin-wrong", "sourcePrivateIps": ["10.0.0.2"]})
        error: Any = raised.value
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "not-the-secret" not in error.details()
        explicit.engine.delete(rule)
    finally:
        explicit.stop()
        wrong.stop()
        other.stop()


def test_cancel_stops_the_waiting_operations_and_an_interrupt_stops_the_plugin(emulator: Emulator, tmp_path: Path) -> None:
    cancelled = Session(tmp_path / "cancel")
    try:
        cancelled.configured(provider_inputs(emulator))
        point = cancelled.engine.deploy(ACCESS_POINT, "slow-aap", {"applicationAccessPointName": "plugin-slow", "policies": ["aa"]})
        assert emulator.control("PUT", "faults/DescribeApplicationAccessPoint", {"latency_ms": 20000})[0] == 200
        outcome: dict[str, Any] = {}

        def refresh() -> None:
            started = time.monotonic()
            try:
                cancelled.engine.read(point)
            except grpc.RpcError as error:
                outcome["error"] = error
            outcome["seconds"] = time.monotonic() - started

        reader = threading.Thread(target=refresh)
        reader.start()
        time.sleep(1)
        cancelled.plugin.stub.Cancel(empty_pb2.Empty())
        reader.join(timeout=30)
        error: Any = outcome["error"]
        assert error.code() == grpc.StatusCode.CANCELLED
        assert error.details().startswith("read was cancelled by the engine")
        assert outcome["seconds"] < 10, outcome

        # The engine is done: it interrupts the plugin, which exits at once and cleanly, having
        # written nothing to stdout but its port.
        started = time.monotonic()
        assert cancelled.plugin.interrupt(signal.SIGINT) == 0
        assert time.monotonic() - started < 5
        assert cancelled.plugin.rest_of_stdout() == b""
    finally:
        emulator.control("DELETE", "faults/DescribeApplicationAccessPoint")
        cancelled.stop()
    # Clean up with a plugin that was not cancelled.
    cleaner = Session(tmp_path / "cleaner").configured(provider_inputs(emulator))
    try:
        cleaner.engine.delete(point)
    finally:
        cleaner.stop()


def test_an_attached_plugin_learns_the_engine_address_and_logs_there(emulator: Emulator, tmp_path: Path) -> None:
    # `PULUMI_DEBUG_PROVIDERS=alicloud-kms:<port>`: the plugin runs first, with no engine address;
    # the engine attaches to its port and sends its address.
    attached = Session(tmp_path / "attached", engine_address=None)
    try:
        attached.plugin.stub.Attach(plugin_pb2.PluginAttach(address=attached.fake_engine.address))
        attached.configured(provider_inputs(emulator))
        gone = Deployed(attached.engine.urn(ACCESS_POINT, "gone"), ACCESS_POINT, "plugin-never-made", {}, {})
        attached.engine.delete(gone)
        (entry,) = attached.fake_engine.entries()
        assert (entry.severity, entry.urn) == ("INFO", gone.urn)
        assert "plugin-never-made" in entry.message
        assert attached.plugin.interrupt(signal.SIGTERM) == 0
    finally:
        attached.stop()


def evaluate(value: Any, resources: dict[str, Deployed]) -> Any:
    """The Pulumi YAML expressions the example uses: ``${resource.property}`` (and ``.id``),
    ``fn::toJSON`` and ``fn::secret``."""
    if isinstance(value, str):
        match = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", value)
        if match is None:
            assert "${" not in value, f"an interpolation this test does not evaluate: {value}"
            return value
        resource = resources[match.group(1)]
        return resource.id if match.group(2) == "id" else resource.outputs[match.group(2)]
    if isinstance(value, list):
        return [evaluate(item, resources) for item in value]
    if isinstance(value, dict):
        if set(value) == {"fn::toJSON"}:
            return json.dumps(evaluate(value["fn::toJSON"], resources))
        if set(value) == {"fn::secret"}:
            return secret(evaluate(value["fn::secret"], resources))
        return {key: evaluate(item, resources) for key, item in value.items()}
    return value


def test_the_yaml_example_is_a_program_the_plugin_deploys(session: Session, emulator: Emulator) -> None:
    # The resources of examples/yaml/Pulumi.yaml, in their order (each refers only to those
    # before it), with their expressions evaluated as Pulumi YAML does: checked and created
    # through the plugin, their outputs resolved, then deleted in reverse order.
    program = yaml.safe_load((REPOSITORY / "examples/yaml/Pulumi.yaml").read_text(encoding="utf-8"))
    assert program["runtime"] == "yaml"
    # The program's own project: its URNs (and so its auto-names) are its own.
    engine = PluginEngine(session.plugin.stub, session.fake_engine.address, project=program["name"])
    deployed: dict[str, Deployed] = {}
    try:
        for name, spec in program["resources"].items():
            deployed[name] = engine.deploy(spec["type"], name, evaluate(spec.get("properties", {}), deployed))
        outputs = {name: evaluate(value, deployed) for name, value in program["outputs"].items()}
        assert outputs["clientKeyId"] in emulator.client_keys()
        assert outputs["networkRuleName"] in names(emulator, "network-rules", "network_rules")
        assert emulator.access_points()["terraform-example"]["policies"] == ["terraform-example-policy"]
    finally:
        for resource in reversed(list(deployed.values())):
            engine.delete(resource)
    assert "terraform-example" not in emulator.access_points()
