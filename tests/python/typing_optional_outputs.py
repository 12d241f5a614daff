"""
A typing test, never run: every resource's outputs, the optional ones (``Output[Optional[str]]``)
included, passed into the next resource's inputs, every optional input among them, in both
constructor forms, ``get`` and ``ProviderSettings``. ``scripts/test.d/30-sdk.sh`` type-checks it
with ``mypy --strict`` against the generated SDK; it fails where an input is typed more narrowly
than the outputs that feed it.
"""

import json
from typing import Optional

import pulumi

import pulumi_alicloud_kms as kms

rule = kms.NetworkRule("rule", source_private_ips=["10.10.10.10/24"], description="a rule")
policy = kms.Policy(
    "policy",
    policy_name="typing-policy",
    kms_instance_id="kst-hzz634e67d126u9p9example",
    permissions=["RbacPermission/Template/CryptoServiceKeyUser"],
    resources=["key/*"],
    access_control_rules=rule.network_rule_name.apply(lambda name: json.dumps({"NetworkRules": [name]})),
    description=rule.description,
)
aap = kms.ApplicationAccessPoint(
    "aap",
    application_access_point_name=policy.policy_name,
    policies=[policy.policy_name],
    description=policy.description,
)
key = kms.ClientKey(
    "key",
    aap_name=aap.application_access_point_name,
    password=pulumi.Output.secret("YouPassword123!"),
    not_before=aap.description,
    not_after=policy.description,
    private_key_data_file=rule.description,
)

# The outputs keep their precise types: required ones are never None.
password: pulumi.Output[str] = key.password
create_time: pulumi.Output[str] = key.create_time
rule_name: pulumi.Output[str] = rule.network_rule_name
addresses: pulumi.Output[list[str]] = rule.source_private_ips.apply(list)
key_file: pulumi.Output[Optional[str]] = key.private_key_data_file
description: pulumi.Output[Optional[str]] = aap.description

# Each resource's outputs into the next one's inputs, every optional one from an optional output.
second_rule = kms.NetworkRule(
    "second-rule",
    network_rule_name=aap.description,
    source_private_ips=rule.source_private_ips,
    description=key.private_key_data_file,
)
second_policy = kms.Policy(
    "second-policy",
    args=kms.PolicyArgs(
        policy_name=policy.policy_name,
        kms_instance_id=policy.kms_instance_id,
        permissions=policy.permissions,
        resources=policy.resources,
        access_control_rules=policy.access_control_rules,
        description=second_rule.description,
    ),
)
second_aap = kms.ApplicationAccessPoint(
    "second-aap",
    kms.ApplicationAccessPointArgs(
        application_access_point_name=aap.application_access_point_name,
        policies=aap.policies,
        description=second_policy.description,
    ),
)
second_key = kms.ClientKey(
    "second-key",
    kms.ClientKeyArgs(
        aap_name=key.aap_name,
        password=key.password,
        not_before=key.not_before,
        not_after=second_aap.description,
        private_key_data_file=key.private_key_data_file,
    ),
    provider_settings=kms.ProviderSettings(region=aap.description, endpoint=second_aap.description, secret_key=key.private_key_data_file),
)
looked_up = kms.ClientKey.get(
    "looked-up",
    key.id,
    aap_name=second_aap.description,
    not_before=key.private_key_data_file,
    password=key.password,
)
