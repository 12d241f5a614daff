"""
Engine-level tests of the Python SDK's NetworkRule and Policy, in Pulumi's real Python
dynamic-provider host driven over gRPC as the engine drives it (see test_engine_python_host.py
and conftest.py): create (the rule auto-named from its resource name), update in place,
replacement, import by name, refresh after an out-of-band change, and delete; and the chain's
dependencies: a policy still bound to an access point is not deleted, and the error that reaches
the engine says what to do.
"""

import json
import re
from typing import Any

import grpc
import pulumi
import pytest
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

import pulumi_alicloud_kms
from conftest import Host, deploy, register
from engine_harness import Emulator, without_provider

KEY_USER = "RbacPermission/Template/CryptoServiceKeyUser"
SECRET_USER = "RbacPermission/Template/CryptoServiceSecretUser"
NO_CHANGE = provider_pb2.DiffResponse.DIFF_NONE
SOME_CHANGE = provider_pb2.DiffResponse.DIFF_SOME


def rules_json(*names: str) -> str:
    """Access control rules as a person writes them: indented, names in their own order."""
    return json.dumps({"NetworkRules": list(names)}, indent=2)


def test_network_rule_auto_named_updated_refreshed_imported_replaced_and_deleted(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.NetworkRule, "office", source_private_ips=["10.0.0.1", "192.168.0.0/24"], description="d")
    # The preview checks first (a dynamic-provider host is never asked to preview a create: the
    # checked inputs are what the preview shows), with a value not known yet.
    preview = engine.check(urn, {}, {**inputs, "description": UNKNOWN})
    deployed = deploy(engine, urn, inputs)
    # Auto-named from the stack and the resource name, which our SDK passes along (the host sends
    # no URN), and the same name the preview showed.
    assert re.fullmatch(r"office-[0-9a-f]{7}", deployed.id), deployed.id
    assert preview.inputs["network_rule_name"] == deployed.id
    name = deployed.id
    assert without_provider(deployed.outputs) == {"network_rule_name": name, "source_private_ips": ["10.0.0.1", "192.168.0.0/24"], "description": "d"}
    rules = {rule["name"]: rule for rule in emulator.control("GET", "network-rules")[1]["network_rules"]}
    assert rules[name]["source_private_ip"] == ["10.0.0.1", "192.168.0.0/24"]

    # The next run checks the same program against the last inputs: the name stays, no change;
    # nor is the same set of addresses in another order a change.
    again = engine.check(urn, deployed.inputs, inputs)
    assert again.inputs["network_rule_name"] == name
    assert engine.diff(urn, name, deployed.inputs, deployed.outputs, again.inputs).changes == NO_CHANGE
    _, _, reordered = register(pulumi_alicloud_kms.NetworkRule, "office", source_private_ips=["192.168.0.0/24", "10.0.0.1"], description="d")
    assert engine.diff(urn, name, deployed.inputs, deployed.outputs, engine.check(urn, deployed.inputs, reordered).inputs).changes == NO_CHANGE

    # Another address, the description dropped: an update in place.
    _, _, changed = register(pulumi_alicloud_kms.NetworkRule, "office", source_private_ips=["10.0.0.1", "10.0.0.2"])
    checked = engine.check(urn, deployed.inputs, changed)
    diff = engine.diff(urn, name, deployed.inputs, deployed.outputs, checked.inputs)
    assert (diff.changes, list(diff.replaces)) == (SOME_CHANGE, [])
    updated = engine.update(urn, name, deployed.inputs, deployed.outputs, checked.inputs)
    assert without_provider(updated) == {"network_rule_name": name, "source_private_ips": ["10.0.0.1", "10.0.0.2"]}
    rule = next(rule for rule in emulator.control("GET", "network-rules")[1]["network_rules"] if rule["name"] == name)
    assert (rule["source_private_ip"], rule["description"]) == (["10.0.0.1", "10.0.0.2"], "")

    # Changed out of band: the refresh shows it, and the diff plans the update back.
    assert emulator.control("PATCH", f"network-rules/{name}", {"source_private_ip": ["10.9.9.9"]})[0] == 200
    read_id, read_outputs, read_inputs = engine.read(urn, name, updated, checked.inputs)
    assert read_id == name
    assert read_outputs["source_private_ips"] == ["10.9.9.9"]
    diff = engine.diff(urn, name, read_inputs, read_outputs, engine.check(urn, read_inputs, changed).inputs)
    assert (diff.changes, list(diff.replaces)) == (SOME_CHANGE, [])
    updated = engine.update(urn, name, read_inputs, read_outputs, checked.inputs)

    # Import by name, through the SDK's `import_` option (Pulumi's import of a dynamic resource
    # needs a newer host than the lowest `pulumi` the package supports): the create reads the rule
    # and adopts it, since the program (addresses in another order) describes it; no change after.
    rules_before = len(emulator.control("GET", "network-rules")[1]["network_rules"])
    import_urn, _, import_inputs = register(pulumi_alicloud_kms.NetworkRule, "adopted", opts=pulumi.ResourceOptions(import_=name), network_rule_name=name, source_private_ips=["10.0.0.2", "10.0.0.1"])
    adopted = deploy(engine, import_urn, import_inputs)
    assert adopted.id == name
    assert sorted(adopted.outputs["source_private_ips"]) == ["10.0.0.1", "10.0.0.2"]
    again = engine.check(import_urn, adopted.inputs, import_inputs)
    assert engine.diff(import_urn, name, adopted.inputs, adopted.outputs, again.inputs).changes == NO_CHANGE
    assert len(emulator.control("GET", "network-rules")[1]["network_rules"]) == rules_before, "the import created nothing"

    # A name of the program's own replaces the rule; the new name cannot collide, so the new
    # rule comes first.
    _, _, renamed = register(pulumi_alicloud_kms.NetworkRule, "office", network_rule_name="office-renamed", source_private_ips=["10.0.0.1", "10.0.0.2"])
    checked_rename = engine.check(urn, checked.inputs, renamed)
    diff = engine.diff(urn, name, checked.inputs, updated, checked_rename.inputs)
    assert (list(diff.replaces), diff.deleteBeforeReplace) == (["network_rule_name"], False)
    new_id, new_outputs = engine.create(urn, checked_rename.inputs)
    assert new_id == "office-renamed"
    engine.delete(urn, name, checked.inputs, updated)
    names = {rule["name"] for rule in emulator.control("GET", "network-rules")[1]["network_rules"]}
    assert name not in names and "office-renamed" in names

    engine.delete(urn, new_id, checked_rename.inputs, new_outputs)
    assert "office-renamed" not in {rule["name"] for rule in emulator.control("GET", "network-rules")[1]["network_rules"]}


def policy_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "policy_name": "engine-policy",
        "kms_instance_id": "kst-hzz634e67d126u9p9example",
        "permissions": [KEY_USER],
        "resources": ["key/*"],
        "access_control_rules": rules_json("rule-b", "rule-a"),
        "description": "d",
    }
    args.update(overrides)
    return args


def policies(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {policy["name"]: policy for policy in emulator.control("GET", "policies")[1]["policies"]}


def test_policy_created_updated_refreshed_imported_replaced_and_deleted(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    urn, _, inputs = register(pulumi_alicloud_kms.Policy, "policy", **policy_args())
    deployed = deploy(engine, urn, inputs)
    assert deployed.id == "engine-policy"
    # The rules are JSON: kept in canonical form, compact with the names sorted.
    assert deployed.outputs["access_control_rules"] == '{"NetworkRules":["rule-a","rule-b"]}'
    assert policies(emulator)["engine-policy"]["network_rules"] == ["rule-a", "rule-b"]

    again = engine.check(urn, deployed.inputs, inputs)
    assert engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, again.inputs).changes == NO_CHANGE

    # Permissions, resources and rules change in place.
    _, _, changed = register(pulumi_alicloud_kms.Policy, "policy", **policy_args(permissions=[SECRET_USER, KEY_USER], resources=["secret/*"], access_control_rules=rules_json("rule-a")))
    checked = engine.check(urn, deployed.inputs, changed)
    diff = engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
    assert (diff.changes, list(diff.replaces)) == (SOME_CHANGE, [])
    updated = engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs)
    stored = policies(emulator)["engine-policy"]
    assert (stored["permissions"], stored["resources"], stored["network_rules"]) == ([SECRET_USER, KEY_USER], ["secret/*"], ["rule-a"])

    # Changed out of band: the refresh shows it, the update puts it back.
    assert emulator.control("PATCH", "policies/engine-policy", {"network_rules": ["rule-z"], "description": "by hand"})[0] == 200
    read_id, read_outputs, read_inputs = engine.read(urn, deployed.id, updated, checked.inputs)
    assert read_id == "engine-policy"
    assert (read_outputs["access_control_rules"], read_outputs["description"]) == ('{"NetworkRules":["rule-z"]}', "by hand")
    diff = engine.diff(urn, deployed.id, read_inputs, read_outputs, engine.check(urn, read_inputs, changed).inputs)
    assert diff.changes == SOME_CHANGE
    updated = engine.update(urn, deployed.id, read_inputs, read_outputs, checked.inputs)
    assert policies(emulator)["engine-policy"]["network_rules"] == ["rule-a"]

    # Import by name (the SDK's `import_` option): no change against the program, whatever the
    # layout of its JSON.
    policies_before = list(policies(emulator))
    import_urn, _, import_inputs = register(pulumi_alicloud_kms.Policy, "adopted", opts=pulumi.ResourceOptions(import_="engine-policy"), **policy_args(permissions=[KEY_USER, SECRET_USER], resources=["secret/*"], access_control_rules='{ "NetworkRules" : ["rule-a"] }'))
    adopted = deploy(engine, import_urn, import_inputs)
    assert adopted.id == "engine-policy"
    again = engine.check(import_urn, adopted.inputs, import_inputs)
    assert engine.diff(import_urn, adopted.id, adopted.inputs, adopted.outputs, again.inputs).changes == NO_CHANGE
    assert list(policies(emulator)) == policies_before, "the import created nothing"

    # Another KMS instance replaces the policy under the same name: the old one goes first.
    _, _, moved = register(pulumi_alicloud_kms.Policy, "policy", **policy_args(kms_instance_id="kst-other", permissions=[SECRET_USER, KEY_USER], resources=["secret/*"], access_control_rules=rules_json("rule-a")))
    checked_move = engine.check(urn, checked.inputs, moved)
    diff = engine.diff(urn, deployed.id, checked.inputs, updated, checked_move.inputs)
    assert (list(diff.replaces), diff.deleteBeforeReplace) == (["kms_instance_id"], True)
    engine.delete(urn, deployed.id, checked.inputs, updated)
    new_id, new_outputs = engine.create(urn, checked_move.inputs)
    assert (new_id, policies(emulator)["engine-policy"]["kms_instance"]) == ("engine-policy", "kst-other")

    engine.delete(urn, new_id, checked_move.inputs, new_outputs)
    assert "engine-policy" not in policies(emulator)


def test_a_policy_still_bound_to_an_access_point_is_kept_and_the_engine_learns_what_to_do(host: Host, emulator: Emulator) -> None:
    engine = host.engine
    policy_urn, _, policy_inputs = register(pulumi_alicloud_kms.Policy, "bound", **policy_args(policy_name="engine-bound"))
    policy = deploy(engine, policy_urn, policy_inputs)
    point_urn, _, point_inputs = register(pulumi_alicloud_kms.ApplicationAccessPoint, "bound-aap", application_access_point_name="engine-bound-aap", policies=["engine-bound"])
    point = deploy(engine, point_urn, point_inputs)

    with pytest.raises(grpc.RpcError) as raised:
        engine.delete(policy_urn, policy.id, policy.inputs, policy.outputs)
    error: Any = raised.value
    # The provider's own check: KMS would have deleted it.
    assert "still in use by the application access points engine-bound-aap" in error.details()
    assert "remove the policy from the policies of those access points (or delete them) first" in error.details()
    assert "engine-bound" in policies(emulator)

    # In dependency order, as the engine deletes a stack, both go.
    engine.delete(point_urn, point.id, point.inputs, point.outputs)
    engine.delete(policy_urn, policy.id, policy.inputs, policy.outputs)
    assert "engine-bound" not in policies(emulator)
