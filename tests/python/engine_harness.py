"""
What the engine-level and program tests of the Python SDK share: the local KMS emulator and its
control endpoint, Pulumi's real Python dynamic-provider host started as the engine starts it, a
small model of what the Pulumi engine does around a provider plugin (how it marshals config,
inputs and state, and what it does with secrets), and the SDK's own registrations recorded under
Pulumi's mocks.

The binaries come from the environment, set by ``scripts/test.d/40-engine.sh``:
``ALICLOUD_KMS_PROVIDER_PATH`` (the provider, which the SDK itself looks up the same way; when it
is unset, as in ``scripts/test.d/50-artefacts.sh``, the SDK runs the binary installed with it) and
``KMS_EMULATOR_PATH`` (the emulator). ``pulumi_alicloud_kms`` must be importable (the script
pip-installs ``sdk/python`` into a temporary directory on ``PYTHONPATH``).
"""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import base64

import dill
import grpc
import pulumi
import pulumi.dynamic
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
"""The key that marks a special value in Pulumi's property encoding."""

SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
"""The signature of a secret under ``SECRET_SIGNATURE_KEY``."""

DEMO_ACCESS_KEY_ID = "demo-access-key-id"
DEMO_ACCESS_KEY_SECRET = "demo-access-key-secret"
"""The credential the emulator accepts by default."""

PROJECT = "engine-test"
STACK = "dev"


def required_path(variable: str) -> str:
    """An executable named by an environment variable, with a clear message when it is not set."""
    value = os.environ.get(variable)
    if not value or not os.access(value, os.X_OK):
        raise RuntimeError(f"{variable} must name an executable (scripts/test.d/40-engine.sh builds and sets it), got {value!r}")
    return value


def secret(value: Any) -> dict[str, Any]:
    """``value`` in Pulumi's secret wrapper, as the engine keeps a secret in its state."""
    return {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE


def strip_secrets(value: Any) -> Any:
    """What the engine sends a provider that answered ``acceptSecrets: false``: every secret unwrapped."""
    if is_secret(value):
        return strip_secrets(value.get("value"))
    if isinstance(value, dict):
        return {key: strip_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_secrets(item) for item in value]
    return value


def contains_secrets(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secrets(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_secrets(item) for item in value)
    return False


def annotate_secrets(outputs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """
    The engine's ``annotateSecrets``: for a provider that cannot take secrets, an output whose
    same-named input held a secret becomes a secret again (objects are followed key by key).
    """
    annotated = dict(outputs)
    for key, input_value in inputs.items():
        if key not in annotated:
            continue
        output_value = annotated[key]
        if isinstance(output_value, dict) and not is_secret(output_value) and isinstance(input_value, dict) and not is_secret(input_value):
            annotated[key] = annotate_secrets(output_value, input_value)
        elif not is_secret(output_value) and contains_secrets(input_value):
            annotated[key] = secret(output_value)
    return annotated


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def without_provider(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != "__provider"}


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "grpc_proxy", "no_proxy")

_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Talks to loopback directly, whatever proxy the environment names."""


class Emulator:
    """A ``kms-emulator`` child on a free loopback port, and its control endpoint."""

    def __init__(self, log_path: Path, *arguments: str) -> None:
        """``arguments``: more of the emulator's options, e.g. ``--credential ID:SECRET``."""
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [required_path("KMS_EMULATOR_PATH"), "--listen", "127.0.0.1:0", *arguments],
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.process.stdout is not None
        first_line = self.process.stdout.readline().decode("utf-8").strip()
        prefix = "listening on http://"
        if not first_line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"kms-emulator did not start (first line {first_line!r}); see {log_path}")
        self.address = first_line[len(prefix):]
        """``HOST:PORT``, the endpoint a client is given."""

    def control(self, method: str, route: str, body: Optional[dict[str, Any]] = None) -> tuple[int, Any]:
        """One call to ``/__emulator/<route>``; returns the status and the JSON answer."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"http://{self.address}/__emulator/{route}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _LOOPBACK_OPENER.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def client_keys(self) -> dict[str, dict[str, Any]]:
        status, answer = self.control("GET", "client-keys")
        assert status == 200, answer
        return {key["id"]: key for key in answer["client_keys"]}

    def access_points(self) -> dict[str, dict[str, Any]]:
        status, answer = self.control("GET", "application-access-points")
        assert status == 200, answer
        return {point["name"]: point for point in answer["application_access_points"]}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        self._log.close()


FAST_RETRIES = {"ALICLOUD_KMS_PROVIDER_TEST_HOOKS": "1", "ALICLOUD_KMS_PROVIDER_TEST_RETRY_DELAY_MS": "10"}
"""The binary's test hook for short KMS retry waits (10 ms instead of 1 s, doubling up to 20 ms),
so a test that injects a lasting fault does not wait a minute and a half for the retries to end."""


def scrubbed_environment(home: Path, **extra: str) -> dict[str, str]:
    """
    The environment of a provider host: credentials and regions of the outer environment removed
    (so everything the binary knows comes from ``configure``), ``HOME`` pointing at an empty
    directory (no ``~/.aliyun/config.json``), and no proxy settings (all traffic is loopback).
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALIBABA_CLOUD_", "ALICLOUD_")) and key.lower() not in _PROXY_VARIABLES
    }
    environment["HOME"] = str(home)
    if os.environ.get("ALICLOUD_KMS_PROVIDER_PATH"):
        environment["ALICLOUD_KMS_PROVIDER_PATH"] = required_path("ALICLOUD_KMS_PROVIDER_PATH")
    environment.update(extra)
    return environment


def enter_program_environment(monkeypatch: Any, directory: Path, **extra: str) -> None:
    """
    Makes this process a program's (the SDK spawns the binary from it): ``directory`` the working
    directory (where a relative key file lands), ``directory/home`` an empty ``HOME``, and the
    environment ``scrubbed_environment``'s, plus ``extra``; ``monkeypatch`` undoes it all.
    """
    (directory / "home").mkdir()
    environment = scrubbed_environment(directory / "home", **extra)
    for name in list(os.environ):
        if name not in environment:
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(directory)


class ProviderHost:
    """
    A dynamic-provider host started the way the engine starts a plugin: its first stdout line is
    the port. It runs in its own process group, so stopping it also stops the provider binary it
    spawned, even when a test failed half way.
    """

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True)
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().decode("utf-8")
        """The first line of stdout, as written (the engine reads the port from it)."""
        line = self.first_line.strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the provider host did not print its port (got {line!r}); its stderr is in {stderr_path}")
        self.port = int(line)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}", options=[("grpc.enable_http_proxy", 0)])
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.process.wait()
        self._stderr.close()


def start_python_host(cwd: Path, env: dict[str, str], stderr_path: Path) -> ProviderHost:
    """``pulumi-resource-pulumi-python`` in a test: ``python -u -m pulumi.dynamic``."""
    return ProviderHost([sys.executable, "-u", "-m", "pulumi.dynamic"], cwd, env, stderr_path)


def stack_config(emulator: Emulator, secret_key: str = DEMO_ACCESS_KEY_SECRET) -> dict[str, Any]:
    """
    The stack config a user would set for the emulator (``pulumi config set alicloud-kms:endpoint
    ...``, the secret key with ``--secret``), as the engine holds it: namespaced keys, the secret
    wrapped.
    """
    return {
        "alicloud-kms:endpoint": emulator.address,
        "alicloud-kms:protocol": "HTTP",
        "alicloud-kms:accessKey": DEMO_ACCESS_KEY_ID,
        "alicloud-kms:secretKey": secret(secret_key),
        f"{PROJECT}:unrelated": "other program config reaches dynamic providers too",
    }


def pulumi_alicloud_stack_config(emulator: Emulator) -> dict[str, Any]:
    """
    A stack set up for pulumi-alicloud only (``pulumi config set alicloud:accessKey ...``, the KMS
    and STS endpoints in ``alicloud:endpoints``), with no ``alicloud-kms:*`` key at all.
    """
    return {
        "alicloud:region": "cn-hangzhou",
        "alicloud:accessKey": DEMO_ACCESS_KEY_ID,
        "alicloud:secretKey": secret(DEMO_ACCESS_KEY_SECRET),
        "alicloud:protocol": "HTTP",
        "alicloud:endpoints": json.dumps([{"kms": emulator.address, "sts": emulator.address, "ecs": "ignored"}]),
        "alicloud:skipRegionValidation": "true",
        f"{PROJECT}:unrelated": "other program config reaches dynamic providers too",
    }


@dataclass
class Checked:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


class Engine:
    """
    The engine's side of the provider protocol, reduced to what these tests drive, following
    ``pkg/resource/plugin/provider_plugin.go`` of pulumi/pulumi:

    - ``Configure`` gets the stack config as ``args`` (for the dynamic-provider packages
      ``pulumi-python``/``pulumi-nodejs``, the *whole* config with namespaces kept, secrets kept)
      and as ``variables`` (``<package>:config:<key>`` → string, secrets removed);
    - every later call marshals properties with secrets kept only if ``Configure`` answered
      ``acceptSecrets`` (dynamic hosts answer false, so secrets arrive plain);
    - ``Check``, ``Create``, ``Update`` and ``Read`` results get the secret bit back for every
      property whose input was secret (``annotateSecrets``).
    """

    def __init__(self, stub: provider_pb2_grpc.ResourceProviderStub, package: str) -> None:
        self.stub = stub
        self.package = package
        self.accept_secrets = True

    def configure(self, config: dict[str, Any]) -> provider_pb2.ConfigureResponse:
        variables = {}
        for key, value in config.items():
            plain = strip_secrets(value)
            variables[f"{self.package}:config:{key}"] = plain if isinstance(plain, str) else json.dumps(plain)
        response = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables=variables,
                args=to_struct(config),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
            )
        )
        self.accept_secrets = response.acceptSecrets
        return response

    def marshal(self, values: dict[str, Any]) -> struct_pb2.Struct:
        return to_struct(values if self.accept_secrets else strip_secrets(values))

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> Checked:
        response = self.stub.Check(provider_pb2.CheckRequest(urn=urn, olds=self.marshal(olds), news=self.marshal(news)))
        inputs = from_struct(response.inputs)
        if not self.accept_secrets:
            inputs = annotate_secrets(inputs, news)
        return Checked(inputs, [(failure.property, failure.reason) for failure in response.failures])

    def diff(self, urn: str, id_: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=urn, olds=self.marshal(old_outputs), news=self.marshal(news), old_inputs=self.marshal(old_inputs))
        )

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=self.marshal(inputs), timeout=300))
        return response.id, self._outputs(from_struct(response.properties), inputs)

    def read(self, urn: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        response = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=urn, properties=self.marshal(outputs), inputs=self.marshal(inputs)))
        return response.id, self._outputs(from_struct(response.properties), inputs), from_struct(response.inputs)

    def update(self, urn: str, id_: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_, urn=urn, olds=self.marshal(old_outputs), news=self.marshal(news), old_inputs=self.marshal(old_inputs), timeout=300
            )
        )
        return self._outputs(from_struct(response.properties), news)

    def delete(self, urn: str, id_: str, old_inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=urn, properties=self.marshal(outputs), old_inputs=self.marshal(old_inputs), timeout=300)
        )

    def _outputs(self, outputs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        return outputs if self.accept_secrets else annotate_secrets(outputs, inputs)


def urn_of(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


class RecordingMocks(pulumi.runtime.Mocks):
    """
    Mocks that either record what the program registers (``on_resource`` None) or hand each
    registration to ``on_resource``, which answers with the id and state.
    """

    def __init__(self, on_resource: Optional[Callable[[pulumi.runtime.MockResourceArgs], tuple[str, dict[str, Any]]]] = None) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []
        self.on_resource = on_resource

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[Optional[str], dict[Any, Any]]:
        self.registered.append(args)
        if self.on_resource is not None:
            return self.on_resource(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], Optional[list[tuple[str, str]]]]:
        return {}, None


def run_program(mocks: RecordingMocks, program: Callable[[], Any]) -> None:
    """Runs ``program`` (which returns an Output to wait for) under ``mocks``, then resets Pulumi's settings."""
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False)
    try:
        pulumi.runtime.test(program)()
    finally:
        pulumi.runtime.settings.reset_options()


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
