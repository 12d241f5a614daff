"""
Tests of the Python SDK's runtime helpers (`_rpc.py`, `_provider.py`) and generated classes that
need no provider binary: JSON-RPC framing and multiplexing against a scripted child process over
real pipes, name mapping, the pickled provider, and the resource classes under Pulumi's mocks.

Run by scripts/test.d/30-sdk.sh with the SDK importable (pip-installed into a temporary target)
and KMS_SDK_FIXTURES_DIR pointing at freshly generated fixture SDKs.
"""

import base64
import json
import os
import re
import stat
import sys
import threading
from pathlib import Path
from typing import Any, Mapping, Optional

import dill
import pulumi
import pulumi.dynamic
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

import pulumi_alicloud_kms
from pulumi_alicloud_kms import _provider, _rpc
from pulumi_alicloud_kms.client_key import _PROVIDER as CLIENT_KEY_PROVIDER

SCRIPTED_PROVIDER = Path(__file__).with_name("scripted_provider.py")


def start_child(tmp_path: Path, script: dict[str, Any], logs: Optional[list[tuple[str, str, Optional[str]]]] = None) -> _rpc.ProviderProcess:
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps(script))
    env = dict(os.environ, SCRIPTED_PROVIDER_SCRIPT=str(script_path))
    on_log = None if logs is None else (lambda severity, message, urn: logs.append((severity, message, urn)))
    return _rpc.ProviderProcess([sys.executable, str(SCRIPTED_PROVIDER)], on_log=on_log, env=env)


@pytest.fixture
def child_factory(tmp_path: Path):
    started: list[_rpc.ProviderProcess] = []

    def factory(script: dict[str, Any], logs: Optional[list[tuple[str, str, Optional[str]]]] = None) -> _rpc.ProviderProcess:
        process = start_child(tmp_path, script, logs)
        started.append(process)
        return process

    yield factory
    for process in started:
        process.stop()
    _provider.set_provider_process(None)


def test_replies_reach_their_own_callers_when_answered_out_of_order(child_factory) -> None:
    process = child_factory({"hold": {"method": "slow", "count": 4}})
    results: dict[int, Any] = {}

    def call(number: int) -> None:
        results[number] = process.request("slow", {"number": number})

    threads = [threading.Thread(target=call, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1, 2, 3]
    for number, result in results.items():
        assert result["params"] == {"number": number}


def test_configure_goes_first_even_when_nobody_called_it(child_factory) -> None:
    process = child_factory({})
    result = process.request("check", {"type": "t"})
    assert result["history"] == ["configure", "check"]


def test_configure_parameters_are_sent_as_given(child_factory) -> None:
    process = child_factory({})
    reply = process.configure({"variables": {"alicloud-kms:config:region": "cn-hangzhou"}, "acceptSecrets": False})
    assert reply["params"] == {"variables": {"alicloud-kms:config:region": "cn-hangzhou"}, "acceptSecrets": False}
    assert process.request("check", {})["history"] == ["configure", "check"]


def test_a_json_rpc_error_becomes_a_provider_error_with_the_binarys_message(child_factory) -> None:
    message = "kms rejected CreateClientKey: Forbidden.AapNotFound (RequestId: 5B1F-AB)"
    process = child_factory({"replies": {"create": {"error": {"code": -32052, "message": message, "data": {"kind": "kms_service", "requestId": "5B1F-AB"}}}}})
    with pytest.raises(_rpc.ProviderError) as raised:
        process.request("create", {})
    assert str(raised.value) == message
    assert raised.value.code == -32052
    assert raised.value.kind == "kms_service"
    assert raised.value.data["requestId"] == "5B1F-AB"


def test_log_notifications_and_junk_lines_reach_the_log_callback(child_factory) -> None:
    logs: list[tuple[str, str, Optional[str]]] = []
    process = child_factory(
        {"junk_first": True, "logs": {"create": [{"severity": "warning", "message": "retrying", "urn": "urn:x"}]}},
        logs,
    )
    process.request("create", {})
    assert ("warning", "retrying", "urn:x") in logs
    assert any("not JSON" in message for _, message, _ in logs)


def test_a_dead_child_fails_its_request_and_the_next_request_starts_a_new_one(child_factory) -> None:
    process = child_factory({"exit_on": {"crash": 3}})
    process.configure({"variables": {"alicloud-kms:config:region": "cn-beijing"}, "acceptSecrets": False})
    with pytest.raises(_rpc.ProviderError) as raised:
        process.request("crash", {})
    assert "exited (exit code 3) before answering `crash`" in str(raised.value)
    assert raised.value.kind == "transport"
    # The new child gets the remembered configure before the request.
    assert process.request("check", {})["history"] == ["configure", "check"]


def test_the_binary_is_found_through_the_variable_then_path(tmp_path: Path) -> None:
    binary = tmp_path / "alicloud-kms-provider"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    assert _rpc.find_provider_binary({"PATH": str(tmp_path)}) == str(binary)
    assert _rpc.find_provider_binary({"ALICLOUD_KMS_PROVIDER_PATH": str(binary), "PATH": ""}) == str(binary)
    with pytest.raises(_rpc.ProviderError, match="is not an executable file"):
        _rpc.find_provider_binary({"ALICLOUD_KMS_PROVIDER_PATH": str(tmp_path / "missing")})
    # Without a variable, a binary installed with the package, or one on PATH, the error says how to get one.
    with pytest.raises(_rpc.ProviderError, match=r"cargo install --path \.`\) and put it on PATH, or set ALICLOUD_KMS_PROVIDER_PATH"):
        _rpc.find_provider_binary({"PATH": str(tmp_path / "empty")})


def test_the_binary_installed_with_the_package_wins_over_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "installed" / "alicloud-kms-provider"
    installed.parent.mkdir()
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    on_path = tmp_path / "alicloud-kms-provider"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setattr(_rpc, "bundled_provider_binary", lambda: str(installed))
    assert _rpc.find_provider_binary({"PATH": str(tmp_path)}) == str(installed)
    assert _rpc.find_provider_binary({"PATH": str(tmp_path), "ALICLOUD_KMS_PROVIDER_PATH": str(on_path)}) == str(on_path)


def test_check_maps_names_both_ways_and_strips_the_provider(child_factory) -> None:
    reply = {
        "inputs": {"aapName": "my-aap", "password": "p"},
        "failures": [{"property": "notAfter", "reason": "must be later than notBefore"}],
    }
    process = child_factory({"replies": {"check": {"result": reply}}, "logs": {"check": []}})
    _provider.set_provider_process(process)
    result = CLIENT_KEY_PROVIDER.check({}, {"aap_name": "my-aap", "password": "p", "__provider": "pickled"})
    assert result.inputs == {"aap_name": "my-aap", "password": "p"}
    # Property names in messages are spelled as a Python program spells them.
    assert [(failure.property, failure.reason) for failure in result.failures] == [("not_after", "must be later than not_before")]


def test_the_sdk_keys_stay_out_of_the_binary_and_come_back_in_the_checked_inputs(child_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    process = child_factory({})
    _provider.set_provider_process(process)
    news = {"aap_name": "a", "__provider": "x", "__providerSettings": {"region": "cn-shanghai"}, "__import": "KAAP.1"}
    sent = CLIENT_KEY_PROVIDER._call("check", {"news": CLIENT_KEY_PROVIDER.to_schema(news)})
    assert sent["params"]["news"] == {"aapName": "a"}
    # A resource with its own settings is checked by the child of those settings.
    settings_child = child_factory({"replies": {"check": {"result": {"inputs": {"aapName": "a"}, "failures": []}}}})
    chosen: list[Mapping[str, str]] = []
    monkeypatch.setattr(_provider, "settings_process", lambda variables: chosen.append(variables) or settings_child)
    checked = dict(CLIENT_KEY_PROVIDER.check({}, news).inputs)
    assert chosen == [{"alicloud-kms:config:region": "cn-shanghai"}]
    assert checked == {"aap_name": "a", "__providerSettings": {"region": "cn-shanghai"}, "__import": "KAAP.1"}
    # Settings not known yet (a preview) leave check to the stack's child.
    _provider.set_provider_process(child_factory({"replies": {"check": {"result": {"inputs": {"aapName": "b"}, "failures": []}}}}))
    assert dict(CLIENT_KEY_PROVIDER.check({}, {**news, "__providerSettings": Unknown()}).inputs)["aap_name"] == "b"
    assert len(chosen) == 1


def test_a_resource_with_its_own_settings_gets_its_own_child_configured_with_them(child_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "requests.jsonl"
    script = tmp_path / "settings-script.json"
    script.write_text(json.dumps({"record": str(record)}))
    started: list[_rpc.ProviderProcess] = []

    def scripted_process(command: Any, on_log: Any = None, configure: Any = None) -> _rpc.ProviderProcess:
        process = _rpc.ProviderProcess([sys.executable, str(SCRIPTED_PROVIDER)], on_log=on_log, configure=configure,
                                       env=dict(os.environ, SCRIPTED_PROVIDER_SCRIPT=str(script)))
        started.append(process)
        return process

    monkeypatch.setattr(_provider, "ProviderProcess", scripted_process)
    monkeypatch.setattr(_provider, "find_provider_binary", lambda: "unused")
    _provider.set_provider_process(child_factory({}))
    props = {"aap_name": "a", "__providerSettings": {"region": "cn-shanghai", "secretKey": "s"}}
    child = CLIENT_KEY_PROVIDER._process_for(props)
    assert child is not _provider.provider_process()
    assert child.request("delete", {})["history"] == ["configure", "delete"]
    (configure, _) = [json.loads(line) for line in record.read_text().splitlines()]
    assert configure["params"] == {
        "variables": {"alicloud-kms:config:region": "cn-shanghai", "alicloud-kms:config:secretKey": "s"},
        "acceptSecrets": False,
    }
    assert CLIENT_KEY_PROVIDER._process_for(dict(props)) is child, "the same settings share one child"
    assert started == [child]
    with pytest.raises(_rpc.ProviderError, match=r"unknown provider setting `regoin`"):
        CLIENT_KEY_PROVIDER._process_for({"__providerSettings": {"regoin": "x"}})


def test_requests_carry_schema_names_and_the_resource_type(child_factory) -> None:
    process = child_factory({})
    _provider.set_provider_process(process)
    echoed = process.request("noop", {})  # starts the child and configures it
    assert echoed["history"] == ["configure", "noop"]
    sent = CLIENT_KEY_PROVIDER._call("create", {"properties": CLIENT_KEY_PROVIDER.to_schema({"aap_name": "a", "private_key_data_file": "/k", "__provider": "x"})})
    assert sent["params"] == {"type": "alicloud-kms:index:ClientKey", "properties": {"aapName": "a", "privateKeyDataFile": "/k"}}


def test_unknowns_from_the_provider_host_reach_the_binary_as_the_sentinel(child_factory) -> None:
    # Pulumi's Python provider host turns the unknown sentinel of a preview into Unknown objects,
    # which JSON cannot carry; the binary gets the sentinel string back, however deep.
    process = child_factory({})
    _provider.set_provider_process(process)
    sent = CLIENT_KEY_PROVIDER._call("check", {"news": CLIENT_KEY_PROVIDER.to_schema({"aap_name": Unknown(), "not_before": [{"at": Unknown()}], "__provider": "x"})})
    assert sent["params"] == {"type": "alicloud-kms:index:ClientKey", "news": {"aapName": UNKNOWN, "notBefore": [{"at": UNKNOWN}]}}
    assert UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_diff_read_and_delete_translate_their_replies(child_factory) -> None:
    process = child_factory(
        {
            "replies": {
                "diff": {"result": {"changes": "DIFF_SOME", "replaces": ["aapName", "policies[0]"], "deleteBeforeReplace": False}},
                "read": {"result": {"id": "", "properties": {}}},
                "delete": {"result": {}},
            }
        }
    )
    _provider.set_provider_process(process)
    diff = CLIENT_KEY_PROVIDER.diff("KAAP.1", {"aap_name": "a"}, {"aap_name": "b"})
    assert diff.changes is True
    assert diff.replaces == ["aap_name", "policies[0]"]
    assert diff.delete_before_replace is False
    gone = CLIENT_KEY_PROVIDER.read("KAAP.1", {"aap_name": "a"})
    assert (gone.id, gone.outs) == ("", {})
    CLIENT_KEY_PROVIDER.delete("KAAP.1", {"aap_name": "a"})


def test_configure_sends_the_namespaced_stack_config(child_factory) -> None:
    process = child_factory({})
    _provider.set_provider_process(process)
    config = pulumi.dynamic.Config(
        {
            "alicloud-kms:region": "cn-shanghai",
            "alicloud-kms:secretKey": "s3cret",
            "other:region": "ignored",
            "alicloud:accessKey": "ali-id",
            "alicloud:endpoints": '[{"kms": "127.0.0.1:1"}]',
            "alicloud:skipRegionValidation": "true",
        },
        "project",
    )
    CLIENT_KEY_PROVIDER.configure(pulumi.dynamic.ConfigureRequest(config))
    assert process.request("noop", {})["history"] == ["configure", "noop"]
    # pulumi-alicloud's keys pass through under their own namespace; the binary picks what it uses.
    assert process._configure_params == {
        "variables": {
            "alicloud-kms:config:region": "cn-shanghai",
            "alicloud-kms:config:secretKey": "s3cret",
            "alicloud:config:accessKey": "ali-id",
            "alicloud:config:endpoints": '[{"kms": "127.0.0.1:1"}]',
        },
        "acceptSecrets": False,
    }


def test_a_change_of_the_resource_settings_alone_is_an_update_in_place_that_calls_nothing(child_factory) -> None:
    process = child_factory({"replies": {"diff": {"result": {"changes": "DIFF_NONE"}}}})
    _provider.set_provider_process(process)
    olds = {"aap_name": "a", "__providerSettings": {"accessKey": "id", "secretKey": "old"}}
    news = {"aap_name": "a", "__providerSettings": {"secretKey": "new", "accessKey": "id"}}
    assert CLIENT_KEY_PROVIDER.diff("KAAP.1", olds, dict(olds, __providerSettings={"secretKey": "old", "accessKey": "id"})).changes is False
    assert CLIENT_KEY_PROVIDER.diff("KAAP.1", olds, news).changes is True
    updated = CLIENT_KEY_PROVIDER.update("KAAP.1", dict(olds, __provider="pickled"), news)
    assert updated.outs == {"aap_name": "a", "__providerSettings": {"secretKey": "new", "accessKey": "id"}}
    assert process.request("noop", {})["history"] == ["configure", "diff", "diff", "diff", "noop"]


def test_the_provider_survives_pickling_as_pulumi_does_it() -> None:
    restored = dill.loads(base64.b64decode(serialize_provider(CLIENT_KEY_PROVIDER)))
    assert type(restored) is _provider.DynamicProvider
    assert restored.resource_type == "alicloud-kms:index:ClientKey"
    assert restored.property_names["private_key_data_file"] == "privateKeyDataFile"


def test_a_resource_that_failed_to_initialise_is_kept_and_its_error_logged(child_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Python host drops a resource whose create raised, so a created-but-not-initialised one
    # comes back as created, with the binary's message logged as an error.
    message = "ClientKey KAAP.1 was created but is not fully initialised: reading it back (GetClientKey) failed"
    data = {"kind": "resource_init_failed", "id": "KAAP.1", "properties": {"aapName": "a", "privateKeyDataFile": "/k"}, "reasons": ["read-back failed"]}
    process = child_factory({"replies": {"create": {"error": {"code": -32057, "message": message, "data": data}}}})
    _provider.set_provider_process(process)
    errors: list[str] = []
    monkeypatch.setattr(pulumi.log, "error", errors.append)
    result = CLIENT_KEY_PROVIDER.create({"aap_name": "a", "private_key_data_file": "/k"})
    assert (result.id, result.outs) == ("KAAP.1", {"aap_name": "a", "private_key_data_file": "/k"})
    (logged,) = errors
    assert logged.startswith(message) and "pulumi refresh" in logged


def test_other_errors_and_an_init_failure_without_an_id_still_raise(child_factory) -> None:
    replies = {
        "create": {"error": {"code": -32057, "message": "no id", "data": {"kind": "resource_init_failed", "properties": {}}}},
        "update": {"error": {"code": -32052, "message": "kms said no", "data": {"kind": "kms_service", "id": "KAAP.1", "properties": {}}}},
    }
    _provider.set_provider_process(child_factory({"replies": replies}))
    with pytest.raises(_rpc.ProviderError, match="no id"):
        CLIENT_KEY_PROVIDER.create({"aap_name": "a"})
    with pytest.raises(_rpc.ProviderError, match="kms said no"):
        CLIENT_KEY_PROVIDER.update("KAAP.1", {"aap_name": "a"}, {"aap_name": "b"})


def test_log_forwarding_uses_pulumi_log_at_the_same_severity(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    for severity in ("debug", "info", "warn", "error"):
        monkeypatch.setattr(pulumi.log, severity, lambda message, severity=severity: seen.append((severity, message)))
    _provider.forward_log("warning", "slow down", "urn:pulumi:s::p::t::n")
    _provider.forward_log("error", "broken", None)
    _provider.forward_log("info", "hello", None)
    assert seen == [("warn", "urn:pulumi:s::p::t::n: slow down"), ("error", "broken"), ("info", "hello")]


class RecordingMocks(pulumi.runtime.Mocks):
    """Records what each resource registers and answers with fixed outputs."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []
        self.outputs = outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[Optional[str], dict[Any, Any]]:
        self.registered.append(args)
        state = {key: value for key, value in args.inputs.items() if key != "__provider"}
        return args.name + "-id", {**state, **self.outputs}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], Optional[list[tuple[str, str]]]]:
        return {}, None


def run_under_mocks(mocks: RecordingMocks, program: Any) -> None:
    pulumi.runtime.set_mocks(mocks, project="project", stack="stack", preview=False)
    try:
        program()
    finally:
        pulumi.runtime.settings.reset_options()


def test_client_key_registers_a_dynamic_resource_with_snake_case_inputs() -> None:
    mocks = RecordingMocks({"create_time": "2024-01-01T00:00:00Z", "not_before": "2024-01-01T00:00:00Z", "not_after": "2029-01-01T00:00:00Z"})
    observed: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> Any:
        key = pulumi_alicloud_kms.ClientKey("key", aap_name="my-aap", password="Passw0rd!", private_key_data_file="/tmp/key.json")
        return pulumi.Output.all(key.aap_name, key.create_time, key.password, key.id).apply(lambda values: observed.update(values=values))

    run_under_mocks(mocks, program)
    (registered,) = mocks.registered
    assert registered.typ == "pulumi-python:dynamic/alicloud-kms:ClientKey"
    assert sorted(registered.inputs) == ["__provider", "__resourceName", "__stack", "aap_name", "password", "private_key_data_file"]
    # The resource name and the stack travel to check, for auto-naming (a dynamic-provider host
    # sends no URN).
    assert registered.inputs["__resourceName"] == "key"
    assert registered.inputs["__stack"] == "project/stack"
    assert observed["values"] == ["my-aap", "2024-01-01T00:00:00Z", "Passw0rd!", "key-id"]


def test_application_access_point_accepts_the_args_form_and_resolves_lists() -> None:
    mocks = RecordingMocks({})
    observed: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> Any:
        args = pulumi_alicloud_kms.ApplicationAccessPointArgs(application_access_point_name="aap", policies=["p1", "p2"])
        point = pulumi_alicloud_kms.ApplicationAccessPoint("aap", args)
        return point.policies.apply(lambda policies: observed.update(policies=policies))

    run_under_mocks(mocks, program)
    assert observed["policies"] == ["p1", "p2"]
    assert mocks.registered[0].inputs["application_access_point_name"] == "aap"


def test_a_missing_required_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Missing required property 'password'"):
        pulumi_alicloud_kms.ClientKey("key", aap_name="my-aap")


def test_keyword_named_properties_work_at_run_time() -> None:
    fixtures = os.environ.get("KMS_SDK_FIXTURES_DIR")
    assert fixtures, "KMS_SDK_FIXTURES_DIR must point at the generated fixture SDKs"
    sys.path.insert(0, str(Path(fixtures) / "keywords-and-text" / "python"))
    import keywords_sdk  # type: ignore[import-not-found]

    mocks = RecordingMocks({})
    observed: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> Any:
        reserved = keywords_sdk.Reserved("r", class_="c", default="d", secret_value="s", dict="x", isinstance=True, str="y", pulumi_="p", opts_="o")
        return pulumi.Output.all(reserved.class_, reserved.dict, reserved.opts_).apply(lambda values: observed.update(values=values))

    run_under_mocks(mocks, program)
    inputs = mocks.registered[0].inputs
    assert {"class_", "default", "secret_value", "dict", "isinstance", "str", "pulumi_", "opts_"} <= set(inputs)
    assert observed["values"] == ["c", "x", "o"]
    provider = keywords_sdk.reserved._PROVIDER
    assert provider.to_schema({"class_": 1, "resource_name_": 2, "pulumi_": 3}) == {"class": 1, "resourceName": 2, "pulumi": 3}


def schema_names_python_spells_differently() -> set[str]:
    """Every property and setting name of the real schema that is not also its Python name."""
    schema = json.loads((Path(__file__).parents[3] / "schema" / "schema.json").read_text())
    names = set(schema["config"]["variables"])
    for resource in schema["resources"].values():
        for group in ("properties", "inputProperties"):
            names.update(resource.get(group, {}))
        names.update(resource.get("stateInputs", {}).get("properties", {}))
    return {name for name in names if any(character.isupper() for character in name)}


def test_no_docstring_spells_a_property_in_camel_case_or_advises_pulumi_import() -> None:
    # What an IDE shows of the installed SDK: every module, class and function docstring.
    import ast

    camel_case = schema_names_python_spells_differently()
    assert {"notBefore", "privateKeyDataFile", "aapName", "accessKey"} <= camel_case
    package_directory = Path(pulumi_alicloud_kms.__file__).parent
    docstrings: list[tuple[str, str]] = []
    for module in sorted(package_directory.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                docstring = ast.get_docstring(node)
                if docstring:
                    docstrings.append((f"{module.name}:{getattr(node, 'name', '<module>')}", docstring))
    assert len(docstrings) > 50
    problems = []
    # A config key (`alicloud:accessKey`, what `pulumi config set` takes) is spelled the same in every language.
    config_key = re.compile(r"[A-Za-z0-9_-]+:[A-Za-z0-9_]+")
    for where, docstring in docstrings:
        prose = config_key.sub(" ", docstring)
        words = set("".join(character if character.isalnum() or character == "_" else " " for character in prose).split())
        if words & camel_case:
            problems.append(f"{where} names {sorted(words & camel_case)}")
        if "pulumi import" in docstring:
            problems.append(f"{where} advises `pulumi import`")
    assert problems == []
    # The import option is what the docs advise instead, with the schema's example ids.
    assert 'opts=pulumi.ResourceOptions(import_="KAAP.66abf237-63f6-4625-b8cf-47e1086e0000")' in (pulumi_alicloud_kms.ClientKey.__doc__ or "")
    assert "`not_before`" in (pulumi_alicloud_kms.ClientKeyArgs.__init__.__doc__ or "")


def test_the_binarys_advice_and_settings_errors_speak_python() -> None:
    taken = ("a policy named p already exists; if it is yours, adopt it with "
             "`pulumi import alicloud-kms:index:Policy <resource-name> p`, or choose another name")
    assert _provider.python_text(taken, {}, own_settings=False) == (
        "a policy named p already exists; if it is yours, adopt it with the `import_` resource option "
        '(`opts=pulumi.ResourceOptions(import_="p")`), or choose another name'
    )
    settings = ("invalid provider configuration: accessKey (accessKey/secretKey) cannot be combined with credentialsUri "
                "(credentialsUri); fix the alicloud-kms:config settings")
    assert _provider.python_text(settings, {}, own_settings=True) == (
        "invalid provider_settings: access_key (access_key/secret_key) cannot be combined with credentials_uri "
        "(credentials_uri); fix the provider_settings of this resource"
    )
    # The stack's settings keep their names: they are the `pulumi config` keys.
    assert _provider.python_text(settings, {}, own_settings=False) == settings
    assert _provider.python_text("set notAfter", {"notAfter": "not_after"}, own_settings=False) == "set not_after"


def test_the_python_host_formats_our_errors_as_their_message_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import traceback
    import types

    host = types.ModuleType("__main__")
    setattr(host, "traceback", traceback)
    setattr(host, "DynamicResourceProviderServicer", object)
    monkeypatch.setitem(sys.modules, "__main__", host)
    _provider._shorten_host_tracebacks()
    _provider._shorten_host_tracebacks()
    formatter: Any = getattr(host, "traceback")
    assert formatter.format_exception is traceback.format_exception
    try:
        raise _rpc.ProviderError(-32061, "a policy named p already exists")
    except _rpc.ProviderError:
        assert formatter.format_exc() == "a policy named p already exists"
    try:
        raise ValueError("a bug")
    except ValueError:
        assert formatter.format_exc().startswith("Traceback (most recent call last):")
