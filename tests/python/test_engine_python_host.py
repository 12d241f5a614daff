"""
Engine-level tests of the Python SDK: Pulumi's real Python dynamic-provider host
(``python -u -m pulumi.dynamic``, what ``pulumi-resource-pulumi-python`` runs) is driven over gRPC
the way the engine drives it (Configure, then Check, Diff, Create, Read, Update, Delete), with the
inputs our SDK's classes register in a program, ``__provider`` included. The host unpickles our
provider, which spawns the real ``alicloud-kms-provider`` binary, which talks to a local
``kms-emulator``. One host and one emulator serve the whole module.

What the engine does around the host (config in ``args``, secrets removed for a provider that
does not accept them, the secret bit put back on outputs) is modelled in ``engine_harness.Engine``.
"""

import json
from pathlib import Path
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

import pulumi_alicloud_kms
from pulumi_alicloud_kms import application_access_point, client_key
from conftest import Deployed, Host, deploy, register
from engine_harness import Emulator, Engine, is_secret, scrubbed_environment, secret, start_python_host, without_provider

PASSWORD = "YouPassword123!"
NOT_BEFORE = "2023-09-01T14:11:22Z"
NOT_AFTER = "2028-09-01T14:11:22Z"


def client_key_args(aap_name: str, private_key_data_file: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "aap_name": aap_name,
        "password": password,
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "private_key_data_file": private_key_data_file,
    }


@pytest.fixture(scope="module")
def access_point(host: Host, emulator: Emulator) -> Iterator[Deployed]:
    """The access point the client key tests create their keys in."""
    urn, _, inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "keys-aap", application_access_point_name="engine-keys", policies=["aa"])
    deployed = deploy(host.engine, urn, inputs)
    yield deployed
    if not any(key["aap_name"] == "engine-keys" for key in emulator.client_keys().values()):
        host.engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs)


def key_file(host: Host, name: str) -> dict[str, Any]:
    path = host.program_directory / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    contents: dict[str, Any] = json.loads(path.read_text())
    return contents


def test_configure_is_answered_like_any_dynamic_provider(host: Host) -> None:
    # The host unwraps the config and answers for itself: no secrets, no previews. The engine
    # therefore strips secrets from everything it sends afterwards (modelled by Engine).
    assert host.configured.acceptSecrets is False
    assert host.configured.supportsPreview is False
    assert host.engine.accept_secrets is False


def test_the_program_registers_our_pickled_provider_as_a_secret() -> None:
    urn, type_token, inputs = register(pulumi_alicloud_kms.ClientKey, "key", **client_key_args("terraform-example", "./private_key_data_file.txt"))
    assert type_token == "pulumi-python:dynamic/alicloud-kms:ClientKey"
    assert urn.endswith("::pulumi-python:dynamic/alicloud-kms:ClientKey::key")
    assert inputs["__provider"] == secret(serialize_provider(client_key._PROVIDER))
    assert inputs["password"] == secret(PASSWORD)
    assert without_provider(inputs) == {
        # The resource name and the stack, which check needs for auto-naming (the host sends it
        # no URN).
        "__resourceName": "key",
        "__stack": "engine-test/dev",
        "aap_name": "terraform-example",
        "password": secret(PASSWORD),
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "private_key_data_file": "./private_key_data_file.txt",
    }
    _, _, point_inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "aap", application_access_point_name="a", policies=["p"])
    assert point_inputs["__provider"] == secret(serialize_provider(application_access_point._PROVIDER))


def test_application_access_point_create_read_update_replace_and_delete(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "aap", application_access_point_name="engine-aap", policies=["aa"], description="aa")
    deployed = deploy(engine, urn, inputs)
    assert deployed.id == "engine-aap"
    assert without_provider(deployed.outputs) == {"application_access_point_name": "engine-aap", "policies": ["aa"], "description": "aa"}
    assert deployed.outputs["__provider"] == inputs["__provider"]
    assert emulator.access_points()["engine-aap"]["policies"] == ["aa"]

    # Refresh: unchanged.
    read_id, read_outputs, read_inputs = engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)
    assert read_id == "engine-aap"
    assert without_provider(read_outputs) == without_provider(deployed.outputs)
    assert without_provider(read_inputs) == {"application_access_point_name": "engine-aap", "policies": ["aa"], "description": "aa"}

    # Same program again: no change.
    unchanged = engine.check(urn, deployed.inputs, inputs)
    assert engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, unchanged.inputs).changes == provider_pb2.DiffResponse.DIFF_NONE

    # New policies: an update in place.
    _, _, more_policies = register(pulumi_alicloud_kms.ApplicationAccessPoint, "aap", application_access_point_name="engine-aap", policies=["aa", "bb"], description="aa")
    checked = engine.check(urn, deployed.inputs, more_policies)
    assert checked.failures == []
    diff = engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    updated = engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
    assert updated["policies"] == ["aa", "bb"]
    assert emulator.access_points()["engine-aap"]["policies"] == ["aa", "bb"]

    # A new name: a replacement. The new name cannot collide with the old one, so the engine may
    # create the new access point before it deletes the old one.
    _, _, renamed = register(pulumi_alicloud_kms.ApplicationAccessPoint, "aap", application_access_point_name="engine-aap-renamed", policies=["aa", "bb"], description="aa")
    checked_rename = engine.check(urn, checked.inputs, renamed)
    diff = engine.diff(urn, deployed.id, checked.inputs, updated, checked_rename.inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["application_access_point_name"]
    assert diff.deleteBeforeReplace is False
    replacement_id, replacement_outputs = engine.create(urn, checked_rename.inputs)
    assert replacement_id == "engine-aap-renamed"
    engine.delete(urn, deployed.id, checked.inputs, updated)
    points = emulator.access_points()
    assert "engine-aap" not in points
    assert points["engine-aap-renamed"]["policies"] == ["aa", "bb"]

    engine.delete(urn, replacement_id, checked_rename.inputs, replacement_outputs)
    assert "engine-aap-renamed" not in emulator.access_points()


def test_a_bad_client_key_is_a_check_failure_naming_the_python_property(host: Host) -> None:
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "bad-key", aap_name="engine-keys", password="short", not_before=NOT_AFTER, not_after=NOT_BEFORE)
    checked = host.engine.check(urn, {}, inputs)
    properties = [property_ for property_, _ in checked.failures]
    assert properties == ["password", "password", "not_after"]
    reasons = [reason for _, reason in checked.failures]
    assert reasons[0] == "password must be 8 to 64 characters long, not 5"
    assert "at least two" in reasons[1]
    assert "must be later than" in reasons[2]
    assert not any("short" in reason for reason in reasons)


def test_client_key_create_writes_the_key_file_then_read_diff_and_delete(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "key", **client_key_args("engine-keys", "./private_key_data_file.txt"))
    deployed = deploy(engine, urn, inputs)
    assert deployed.id.startswith("KAAP.")
    assert without_provider(deployed.outputs) == {
        "aap_name": "engine-keys",
        "password": secret(PASSWORD),
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "private_key_data_file": "./private_key_data_file.txt",
        "create_time": deployed.outputs["create_time"],
    }
    assert emulator.client_keys()[deployed.id]["aap_name"] == "engine-keys"
    written = key_file(host, "private_key_data_file.txt")
    assert written["KeyId"] == deployed.id
    assert len(written["PrivateKeyData"]) > 1000
    # The binary's log notification went through pulumi.log (the host has no engine to talk to,
    # so it lands on stderr, which the engine shows), and no secret went anywhere near it.
    stderr = host.process.stderr()
    assert f"wrote the private key of client key {deployed.id}" in stderr
    assert PASSWORD not in stderr
    assert written["PrivateKeyData"] not in stderr

    read_id, read_outputs, _ = engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)
    assert read_id == deployed.id
    assert without_provider(read_outputs) == without_provider(deployed.outputs)
    again = engine.check(urn, deployed.inputs, inputs)
    assert engine.diff(urn, deployed.id, deployed.inputs, read_outputs, again.inputs).changes == provider_pb2.DiffResponse.DIFF_NONE

    engine.delete(urn, deployed.id, deployed.inputs, read_outputs)
    assert deployed.id not in emulator.client_keys()
    assert not (host.program_directory / "private_key_data_file.txt").exists()


def test_a_replacement_that_keeps_the_key_file_deletes_the_old_key_first(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "rotated", **client_key_args("engine-keys", "./rotated.json"))
    old = deploy(engine, urn, inputs)

    _, _, other_aap = register(pulumi_alicloud_kms.ClientKey, "rotated", **client_key_args("engine-other", "./rotated.json"))
    diff = engine.diff(urn, old.id, old.inputs, old.outputs, engine.check(urn, old.inputs, other_aap).inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["aap_name"]

    _, _, new_password = register(pulumi_alicloud_kms.ClientKey, "rotated", **client_key_args("engine-keys", "./rotated.json", password="Rotated-Passw0rd"))
    # The engine calls check again without olds before it replaces.
    checked = engine.check(urn, {}, new_password)
    diff = engine.diff(urn, old.id, old.inputs, old.outputs, checked.inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["password"]
    # The same key file: a create refuses to replace the file of a live key (its only private
    # key), so the host passes on that the old key must go first.
    assert diff.deleteBeforeReplace is True

    # The engine's order for deleteBeforeReplace: delete the old key (its file goes with it), then
    # create the new one.
    engine.delete(urn, old.id, old.inputs, old.outputs)
    assert not (host.program_directory / "rotated.json").exists()
    new_id, new_outputs = engine.create(urn, checked.inputs)
    assert new_id != old.id
    assert is_secret(new_outputs["password"])
    # The file ends with the new key, and no old key is left in KMS.
    assert key_file(host, "rotated.json")["KeyId"] == new_id
    keys = emulator.client_keys()
    assert old.id not in keys and new_id in keys

    engine.delete(urn, new_id, checked.inputs, new_outputs)
    assert not (host.program_directory / "rotated.json").exists()


def test_a_replacement_with_a_new_key_file_creates_the_new_key_first(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "moved", **client_key_args("engine-keys", "./moved-old.json"))
    old = deploy(engine, urn, inputs)
    _, _, moved = register(pulumi_alicloud_kms.ClientKey, "moved", **client_key_args("engine-keys", "./moved-new.json"))
    checked = engine.check(urn, {}, moved)
    diff = engine.diff(urn, old.id, old.inputs, old.outputs, checked.inputs)
    assert list(diff.replaces) == ["private_key_data_file"]
    assert diff.deleteBeforeReplace is False
    # Create-before-delete, as the engine replaces by default.
    new_id, new_outputs = engine.create(urn, checked.inputs)
    assert key_file(host, "moved-new.json")["KeyId"] == new_id
    engine.delete(urn, old.id, old.inputs, old.outputs)
    assert old.id not in emulator.client_keys()
    assert not (host.program_directory / "moved-old.json").exists()
    engine.delete(urn, new_id, checked.inputs, new_outputs)


def test_refresh_finds_a_client_key_deleted_out_of_band(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "drifted", **client_key_args("engine-keys", "./drifted.json"))
    deployed = deploy(engine, urn, inputs)
    status, answer = emulator.control("DELETE", f"client-keys/{deployed.id}")
    assert (status, answer) == (200, {"deleted": deployed.id})

    read_id, _, _ = engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)
    assert read_id == ""


def test_a_kms_error_reaches_the_engine_with_the_binarys_message(host: Host, access_point: Deployed) -> None:
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "orphan", **client_key_args("engine-no-such-aap", "./orphan.json"))
    checked = host.engine.check(urn, {}, inputs)
    assert checked.failures == []
    with pytest.raises(grpc.RpcError) as raised:
        host.engine.create(urn, checked.inputs)
    error: Any = raised.value
    assert error.code() == grpc.StatusCode.UNKNOWN
    # Whether the host names the exception class varies between pulumi versions (the artefact
    # tests run the lowest one); the binary's message is what matters.
    # The access point's keys are listed before a key is created, so that is what fails.
    assert "KMS refused ListClientKeys" in error.details()
    assert "create the application access point engine-no-such-aap first" in error.details()
    assert "Forbidden.ResourceNotFound" in error.details()
    assert "RequestId" in error.details()
    assert PASSWORD not in error.details()
    assert_message_alone(error.details())
    assert not (host.program_directory / "orphan.json").exists()


def test_a_preview_keeps_an_access_point_name_that_is_not_known_yet(host: Host, access_point: Deployed) -> None:
    # During a preview the access point of a new client key does not exist yet, so the engine
    # sends its name as the unknown sentinel; check keeps it, and against an existing key, diff
    # plans a replacement.
    urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "previewed", **client_key_args("engine-keys", "./previewed.json"))
    checked = host.engine.check(urn, {}, {**inputs, "aap_name": UNKNOWN})
    assert checked.failures == []
    assert checked.inputs["aap_name"] == UNKNOWN
    assert checked.inputs["password"] == secret(PASSWORD)

    deployed = deploy(host.engine, urn, inputs)
    diff = host.engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["aap_name"]
    host.engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs)


def test_the_engine_may_create_and_delete_client_keys_in_parallel(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    # The engine runs independent resources at once and the host serves them from a thread
    # pool; our provider multiplexes them over its one child.
    names = [f"parallel-{number}" for number in range(8)]
    registered = {name: register(pulumi_alicloud_kms.ClientKey, name, **client_key_args("engine-keys", f"./{name}.json")) for name in names}
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        deployed = dict(zip(names, pool.map(lambda name: deploy(host.engine, registered[name][0], registered[name][2]), names)))
        ids = {resource.id for resource in deployed.values()}
        assert len(ids) == len(names)
        assert ids <= set(emulator.client_keys())
        for name, resource in deployed.items():
            assert key_file(host, f"{name}.json")["KeyId"] == resource.id
        list(pool.map(lambda resource: host.engine.delete(resource.urn, resource.id, resource.inputs, resource.outputs), deployed.values()))
    assert not ids & set(emulator.client_keys())


def test_a_client_key_whose_read_back_failed_is_kept_for_a_refresh_to_complete(host: Host, emulator: Emulator, access_point: Deployed) -> None:
    # The key is created and its file written, but reading it back fails: the binary answers
    # resource_init_failed, which the Python host cannot pass on, so our provider reports the key
    # as created (the engine keeps it) and logs the error; a refresh completes it.
    assert emulator.control("PUT", "faults/GetClientKey", {"server_error_ratio": 1.0})[0] == 200
    try:
        urn, _, inputs = register(pulumi_alicloud_kms.ClientKey, "half-made", **client_key_args("engine-keys", "./half-made.json"))
        deployed = deploy(host.engine, urn, inputs)
    finally:
        assert emulator.control("DELETE", "faults/GetClientKey")[0] == 200
    assert deployed.id in emulator.client_keys()
    assert "create_time" not in deployed.outputs
    assert deployed.outputs["aap_name"] == "engine-keys"
    assert key_file(host, "half-made.json")["KeyId"] == deployed.id
    stderr = host.process.stderr()
    assert f"error: ClientKey {deployed.id} was created but is not fully initialised" in stderr
    assert "GetClientKey" in stderr and "pulumi refresh" in stderr
    assert PASSWORD not in stderr and "Traceback" not in stderr

    read_id, read_outputs, _ = host.engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)
    assert read_id == deployed.id
    assert read_outputs["create_time"] == emulator.client_keys()[deployed.id]["create_time"]
    host.engine.delete(urn, deployed.id, deployed.inputs, read_outputs)
    assert deployed.id not in emulator.client_keys()


ROTATED_KEY_ID = "rotated-access-key-id"


def test_rotating_a_resources_secret_key_updates_its_state_then_refresh_and_destroy_use_the_new_key(host: Host, tmp_path: Path) -> None:
    """
    Issue 17 item 7: a resource with its own provider settings whose secret key is rotated. The
    account's key changes (the emulator restarts on the same address and state with the new secret
    only); the program's new settings are an update in place that calls nothing, and the state
    then holds them, secret, so that refresh and destroy work.
    """
    import pulumi

    engine = host.engine
    state = tmp_path / "rotation-state.json"
    old = Emulator(tmp_path / "old.log", "--credential", f"{ROTATED_KEY_ID}:old-secret-value", "--state", str(state))
    address = old.address

    def settings(secret_key: str) -> Any:
        return pulumi_alicloud_kms.ProviderSettings(
            endpoint=address, protocol="HTTP", region="cn-hangzhou", access_key=ROTATED_KEY_ID, secret_key=pulumi.Output.secret(secret_key)
        )

    try:
        urn, _, inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "rotated", application_access_point_name="rotated-aap", policies=["aa"], provider_settings=settings("old-secret-value"))
        deployed = deploy(engine, urn, inputs)
    finally:
        old.stop()
    new = Emulator(tmp_path / "new.log", "--listen", address, "--credential", f"{ROTATED_KEY_ID}:new-secret-value", "--state", str(state))
    try:
        assert new.address == address
        # The state's settings no longer work: this is what a refresh would meet without the update.
        with pytest.raises(grpc.RpcError, match="SignatureDoesNotMatch"):
            engine.read(urn, deployed.id, deployed.outputs, deployed.inputs)

        _, _, rotated = register(pulumi_alicloud_kms.ApplicationAccessPoint, "rotated", application_access_point_name="rotated-aap", policies=["aa"], provider_settings=settings("new-secret-value"))
        checked = engine.check(urn, deployed.inputs, rotated)
        assert checked.failures == []
        diff = engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        assert list(diff.replaces) == []
        _, calls_before = new.control("GET", "calls")
        updated = engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
        _, calls_after = new.control("GET", "calls")
        assert calls_after == calls_before, "the update called nothing"
        assert is_secret(updated["__providerSettings"])
        assert updated["__providerSettings"]["value"]["secretKey"] == "new-secret-value"
        assert without_provider(updated) == without_provider({**deployed.outputs, "__providerSettings": updated["__providerSettings"]})

        # The same program again: no change.
        again = engine.check(urn, checked.inputs, rotated)
        assert engine.diff(urn, deployed.id, checked.inputs, updated, again.inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
        read_id, _, _ = engine.read(urn, deployed.id, updated, checked.inputs)
        assert read_id == "rotated-aap"
        engine.delete(urn, deployed.id, checked.inputs, updated)
        assert new.access_points() == {}
    finally:
        new.stop()


def assert_message_alone(details: str) -> None:
    """What the engine shows: the provider's message, without the host's or the SDK's frames."""
    assert "Traceback" not in details and 'File "' not in details, details
    assert "pulumi_alicloud_kms" not in details and "__main__.py" not in details, details


def test_a_taken_name_advises_the_import_option_with_the_message_alone(host: Host, emulator: Emulator) -> None:
    first_urn, _, first = register(pulumi_alicloud_kms.NetworkRule, "taken-first", network_rule_name="engine-taken", source_private_ips=["10.1.0.0/16"])
    deployed = deploy(host.engine, first_urn, first)
    try:
        urn, _, inputs = register(pulumi_alicloud_kms.NetworkRule, "taken-second", network_rule_name="engine-taken", source_private_ips=["10.2.0.0/16"])
        checked = host.engine.check(urn, {}, inputs)
        with pytest.raises(grpc.RpcError) as raised:
            host.engine.create(urn, checked.inputs)
        details: str = raised.value.details()  # type: ignore[attr-defined]
        assert "a network rule named engine-taken already exists" in details
        assert 'adopt it with the `import_` resource option (`opts=pulumi.ResourceOptions(import_="engine-taken")`)' in details
        assert "pulumi import" not in details
        assert_message_alone(details)
    finally:
        host.engine.delete(first_urn, deployed.id, deployed.inputs, deployed.outputs)


def test_contradictory_provider_settings_fail_the_preview_naming_provider_settings(host: Host) -> None:
    settings = pulumi_alicloud_kms.ProviderSettings(access_key="LTAI-other", secret_key="other-secret", credentials_uri="http://127.0.0.1:9/credentials")
    urn, _, inputs = register(pulumi_alicloud_kms.NetworkRule, "two-credentials", source_private_ips=["10.3.0.0/16"], provider_settings=settings)
    with pytest.raises(grpc.RpcError) as raised:
        host.engine.check(urn, {}, inputs)
    details: str = raised.value.details()  # type: ignore[attr-defined]
    assert "invalid provider_settings: " in details, details
    assert "credentials_uri" in details and "access_key" in details and "fix the provider_settings of this resource" in details
    for schema_name in ("credentialsUri", "accessKey", "alicloud-kms:config", "the provider config"):
        assert schema_name not in details, details
    assert "other-secret" not in details
    assert_message_alone(details)


def test_update_and_delete_errors_reach_the_engine_as_the_message_alone(host: Host, emulator: Emulator) -> None:
    urn, _, inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "faulty", application_access_point_name="engine-faulty", policies=["aa"])
    deployed = deploy(host.engine, urn, inputs)
    changed = host.engine.check(urn, deployed.inputs, {**inputs, "description": "changed"}).inputs
    for action in ("UpdateApplicationAccessPoint", "DeleteApplicationAccessPoint"):
        assert emulator.control("PUT", f"faults/{action}", {"server_error_ratio": 1.0})[0] == 200
    try:
        with pytest.raises(grpc.RpcError) as update:
            host.engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, changed)
        with pytest.raises(grpc.RpcError) as delete:
            host.engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs)
    finally:
        for action in ("UpdateApplicationAccessPoint", "DeleteApplicationAccessPoint"):
            assert emulator.control("DELETE", f"faults/{action}")[0] == 200
    for raised, action in ((update, "UpdateApplicationAccessPoint"), (delete, "DeleteApplicationAccessPoint")):
        details: str = raised.value.details()  # type: ignore[attr-defined]
        assert action in details and "RequestId" in details, details
        assert_message_alone(details)
    host.engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs)


def test_a_preview_without_any_credentials_warns_naming_where_it_looked(emulator: Emulator, tmp_path: Path) -> None:
    # Another host, whose stack config names the emulator but no credential, in an environment
    # without any (an empty HOME): the first check warns, in Python's terms for a resource's own
    # settings, and nothing is created or fetched.
    (tmp_path / "home").mkdir()
    (tmp_path / "program").mkdir()
    process = start_python_host(tmp_path / "program", scrubbed_environment(tmp_path / "home"), tmp_path / "host.stderr")
    try:
        engine = Engine(process.stub, "pulumi-python")
        engine.configure({"alicloud-kms:endpoint": emulator.address, "alicloud-kms:protocol": "HTTP"})
        urn, _, inputs = register(pulumi_alicloud_kms.NetworkRule, "no-credentials", source_private_ips=["10.4.0.0/16"])
        assert engine.check(urn, {}, inputs).failures == []
        settings = pulumi_alicloud_kms.ProviderSettings(region="cn-shanghai")
        urn, _, inputs = register(pulumi_alicloud_kms.NetworkRule, "own-no-credentials", source_private_ips=["10.5.0.0/16"], provider_settings=settings)
        assert engine.check(urn, {}, inputs).failures == []
        stderr = process.stderr()
        warnings = [line for line in stderr.splitlines() if "no alibaba cloud credentials will be found" in line]
        assert len(warnings) == 2, stderr
        stack, own = warnings
        assert stack.startswith("warning: ") and "the provider config (accessKey and secretKey" in stack, stack
        assert "/home/.aliyun/config.json (absent)" in stack and "ALIBABA_CLOUD_ACCESS_KEY_ID" in stack
        assert "provider_settings (access_key and secret_key" in own and "accessKey" not in own, own
    finally:
        process.stop()
