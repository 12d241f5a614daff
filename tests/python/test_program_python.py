"""
Program test of the Python SDK: the seed example grown into the whole access chain (a network
rule named from its resource name, a policy bound to it, the access point ``terraform-example``
with that policy, a client key in it, each fed by the outputs of the one before) written as a
Python Pulumi program with ``pulumi_alicloud_kms``, run under Pulumi's mocks. The mock does the engine's and the
provider host's part for each registration: it unpickles the ``__provider`` our SDK registered,
configures it with the stack config once (as ``pulumi/dynamic/__main__.py`` does), then calls its
``check`` and ``create``, which run the real binary against a local emulator. The outputs the
program sees, the key file and the emulator's state are checked.
"""

import base64
import json
import re
import stat
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import pulumi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

import pulumi_alicloud_kms
from pulumi_alicloud_kms import _provider
from engine_harness import (
    EngineAndHostInAMock,
    Emulator,
    RecordingMocks,
    enter_program_environment,
    pulumi_alicloud_stack_config,
    run_program,
    stack_config,
)

PASSWORD = "YouPassword123!"


class Chain(NamedTuple):
    rule: pulumi_alicloud_kms.NetworkRule
    policy: pulumi_alicloud_kms.Policy
    aap: pulumi_alicloud_kms.ApplicationAccessPoint
    key: pulumi_alicloud_kms.ClientKey


def seed_program() -> Chain:
    """The seed's Terraform example, grown into the whole chain, in Python."""
    rule = pulumi_alicloud_kms.NetworkRule(
        "networkRule",
        source_private_ips=["10.10.10.10/24", "192.168.17.13", "100.177.24.254"],
        description="example-description",
    )
    policy = pulumi_alicloud_kms.Policy(
        "policy",
        policy_name="terraform-example-policy",
        kms_instance_id="kst-hzz634e67d126u9p9example",
        permissions=["RbacPermission/Template/CryptoServiceKeyUser"],
        resources=["key/*"],
        access_control_rules=rule.network_rule_name.apply(lambda name: json.dumps({"NetworkRules": [name]})),
        description="key use from the network rule's addresses",
    )
    aap = pulumi_alicloud_kms.ApplicationAccessPoint(
        "AAP0",
        policies=[policy.policy_name],
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
    return Chain(rule, policy, aap, key)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """A fresh emulator for each run of the seed program (each run creates the same names)."""
    started = Emulator(tmp_path / "kms-emulator.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def program_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """
    The program's working directory, which the provider binary inherits (a relative key file
    lands here), and an environment without outer credentials. The SDK's shared child is
    stopped afterwards.
    """
    enter_program_environment(monkeypatch, tmp_path)
    try:
        yield tmp_path
    finally:
        _provider.provider_process().stop()
        _provider.set_provider_process(None)


@pytest.mark.parametrize("config_of", [stack_config, pulumi_alicloud_stack_config], ids=["alicloud-kms-config", "pulumi-alicloud-config-only"])
def test_the_seed_examples_chain_runs_end_to_end_from_a_python_program(
    program_directory: Path, emulator: Emulator, config_of: Callable[[Emulator], dict[str, Any]]
) -> None:
    # Also with a stack set up only for pulumi-alicloud (issue 17): its keys reach the binary.
    engine = EngineAndHostInAMock(config_of(emulator))
    mocks = RecordingMocks(engine)
    observed: dict[str, Any] = {}

    async def outputs(chain: Chain) -> None:
        rule, policy, aap, key = chain
        observed["chain"] = await pulumi.Output.all(
            rule.network_rule_name, rule.source_private_ips, policy.policy_name, policy.access_control_rules, policy.kms_instance_id,
        ).future()
        observed["values"] = await pulumi.Output.all(
            aap.id, aap.application_access_point_name, aap.policies, aap.description,
            key.id, key.aap_name, key.not_before, key.not_after, key.create_time, key.private_key_data_file, key.password,
        ).future()
        observed["password_is_secret"] = await key.password.is_secret()

    def program() -> Any:
        return outputs(seed_program())

    run_program(mocks, program)

    (rule_name, addresses, policy_name, rules, kms_instance) = observed["chain"]
    (aap_id, aap_name, policies, description, key_id, key_aap, not_before, not_after, create_time, key_file, password) = observed["values"]
    assert [typ for typ, _ in engine.created] == [
        "pulumi-python:dynamic/alicloud-kms:NetworkRule",
        "pulumi-python:dynamic/alicloud-kms:Policy",
        "pulumi-python:dynamic/alicloud-kms:ApplicationAccessPoint",
        "pulumi-python:dynamic/alicloud-kms:ClientKey",
    ]
    # The rule's name was generated from its resource name, and fed the policy's rules, whose
    # name fed the access point's policies.
    assert re.fullmatch(r"networkRule-[0-9a-f]{7}", rule_name), rule_name
    assert addresses == ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"]
    assert (policy_name, rules, kms_instance) == ("terraform-example-policy", json.dumps({"NetworkRules": [rule_name]}, separators=(",", ":")), "kst-hzz634e67d126u9p9example")
    assert (aap_id, aap_name, policies, description) == ("terraform-example", "terraform-example", ["terraform-example-policy"], "aa")
    assert key_id.startswith("KAAP.")
    assert (key_aap, not_before, not_after, key_file, password) == (
        "terraform-example", "2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z", "./private_key_data_file.txt", PASSWORD,
    )
    # The binary returns the password as a secret, so the program's output is one.
    assert observed["password_is_secret"] is True

    stored_rules = emulator.control("GET", "network-rules")[1]["network_rules"]
    assert [(stored["name"], stored["source_private_ip"]) for stored in stored_rules] == [(rule_name, addresses)]
    stored_policies = emulator.control("GET", "policies")[1]["policies"]
    assert [(stored["name"], stored["network_rules"]) for stored in stored_policies] == [("terraform-example-policy", [rule_name])]
    kms_key = emulator.client_keys()[key_id]
    assert (kms_key["aap_name"], kms_key["create_time"]) == ("terraform-example", create_time)
    point = emulator.access_points()["terraform-example"]
    assert (point["policies"], point["description"]) == (["terraform-example-policy"], "aa")

    path = program_directory / "private_key_data_file.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = json.loads(path.read_text())
    assert written["KeyId"] == key_id
    # The private key opens with the password, and its certificate names the key.
    _, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(written["PrivateKeyData"]), PASSWORD.encode())
    assert certificate is not None
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == key_id
