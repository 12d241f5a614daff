"""
The engine's side of the native plugin ``pulumi-resource-alicloud-kms``, played with the official
``pulumi`` package's gRPC stubs (``pulumi.runtime.proto``, built from the same ``provider.proto``
and ``engine.proto`` as the engine):

- ``FakeEngine``: the engine's ``Engine`` service, which a plugin sends its log messages to;
- ``PluginProcess``: the plugin launched as the engine launches it (flags, then the engine's
  address), its first stdout line read as the port;
- ``PluginEngine``: what the engine does around each call, following Pulumi's
  ``sdk/go/common/resource/plugin/provider_plugin.go`` and ``pkg/resource/deploy/providers/registry.go``:
  ``Handshake`` first; ``CheckConfig``/``DiffConfig`` with the provider's inputs (secrets not
  marked, the engine's ``version`` among them); ``Configure`` with ``variables``
  (``alicloud-kms:config:<key>``, secrets unwrapped, ``version`` left out) and ``args`` (the inputs,
  secrets kept); every resource call with secrets kept, since the plugin accepts them.

The plugin comes from ``KMS_PLUGIN_PATH`` (``scripts/test.d/40-engine.sh`` sets it to the cargo build,
``50-artefacts.sh`` to the launcher the wheel installed).
"""

import json
import os
import signal
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from engine_harness import ProviderHost, from_struct, required_path, strip_secrets, to_struct

PACKAGE = "alicloud-kms"
PROVIDER_TYPE = f"pulumi:providers:{PACKAGE}"
SCHEMA_VERSION = "0.1.0"


@dataclass
class LogEntry:
    severity: str
    message: str
    urn: str


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's ``Engine`` service on a loopback port, recording every ``Log`` call."""

    def __init__(self) -> None:
        self.logs: list[LogEntry] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        with self._lock:
            self.logs.append(LogEntry(engine_pb2.LogSeverity.Name(request.severity), request.message, request.urn))
        return empty_pb2.Empty()

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self.logs)

    def stop(self) -> None:
        self._server.stop(grace=None)


class PluginProcess(ProviderHost):
    """The plugin launched as the engine launches it (flags, then the engine's address, if any),
    in its own process group."""

    def __init__(self, engine_address: Optional[str], cwd: Path, env: dict[str, str], stderr_path: Path) -> None:
        # The flags the engine writes before the address when its own logs flow to plugins.
        command = [required_path("KMS_PLUGIN_PATH"), "--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:1"]
        if engine_address is not None:
            command.append(engine_address)
        super().__init__(command, cwd, env, stderr_path)

    def rest_of_stdout(self) -> bytes:
        """What the plugin wrote to stdout after its port line (call once it has exited)."""
        assert self.process.stdout is not None
        return self.process.stdout.read()

    def interrupt(self, signal_number: int = signal.SIGINT, timeout: float = 30) -> int:
        """What the engine does when it is done with a plugin: a signal, then it waits."""
        self.channel.close()
        self.process.send_signal(signal_number)
        return self.process.wait(timeout=timeout)


def message(kind: Any, **fields: Any) -> Any:
    """A request of ``kind`` with the fields this version of the stubs knows: the packages' lowest
    supported ``pulumi`` predates some of the engine's newest handshake and configure fields."""
    known = kind.DESCRIPTOR.fields_by_name
    return kind(**{name: value for name, value in fields.items() if name in known})


def config_variables(inputs: dict[str, Any]) -> dict[str, str]:
    """``Configure``'s ``variables``: ``<package>:config:<key>`` → text, secrets unwrapped, no ``version``."""
    variables = {}
    for key, value in strip_secrets(inputs).items():
        if key == "version":
            continue
        variables[f"{PACKAGE}:config:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return variables


@dataclass
class Deployed:
    """A resource as the engine keeps it in state."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class PluginEngine:
    """The engine's calls to one plugin process (one provider instance)."""

    stub: provider_pb2_grpc.ResourceProviderStub
    engine_address: str
    stack: str = "dev"
    project: str = "plugin-test"
    seeds: dict[str, bytes] = field(default_factory=dict)

    def urn(self, type_token: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{type_token}::{name}"

    def handshake(self) -> provider_pb2.ProviderHandshakeResponse:
        response: provider_pb2.ProviderHandshakeResponse = self.stub.Handshake(
            message(
                provider_pb2.ProviderHandshakeRequest,
                engine_address=self.engine_address, configure_with_urn=True, supports_views=True, supports_refresh_before_update=True,
            )
        )
        return response

    def check_config(self, name: str, news: dict[str, Any], olds: Optional[dict[str, Any]] = None) -> provider_pb2.CheckResponse:
        urn = self.urn(PROVIDER_TYPE, name)
        response: provider_pb2.CheckResponse = self.stub.CheckConfig(
            provider_pb2.CheckRequest(
                urn=urn, name=name, type=PROVIDER_TYPE, olds=to_struct(strip_secrets(olds or {})), news=to_struct(strip_secrets(news))
            )
        )
        return response

    def diff_config(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        urn = self.urn(PROVIDER_TYPE, name)
        response: provider_pb2.DiffResponse = self.stub.DiffConfig(
            provider_pb2.DiffRequest(
                urn=urn, name=name, type=PROVIDER_TYPE, olds=to_struct(strip_secrets(olds)), old_inputs=to_struct(strip_secrets(olds)),
                news=to_struct(strip_secrets(news)),
            )
        )
        return response

    def configure(self, inputs: dict[str, Any], name: str = "default") -> provider_pb2.ConfigureResponse:
        response: provider_pb2.ConfigureResponse = self.stub.Configure(
            message(
                provider_pb2.ConfigureRequest,
                variables=config_variables(inputs), args=to_struct(inputs), acceptSecrets=True, acceptResources=True,
                sends_old_inputs=True, sends_old_inputs_to_delete=True, urn=self.urn(PROVIDER_TYPE, name), name=name, type=PROVIDER_TYPE,
            )
        )
        return response

    def check(self, type_token: str, name: str, news: dict[str, Any], olds: Optional[dict[str, Any]] = None) -> provider_pb2.CheckResponse:
        # The engine's seed is fixed per resource, so a check repeated gives the same auto-name.
        seed = self.seeds.setdefault(name, os.urandom(32))
        response: provider_pb2.CheckResponse = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(type_token, name), name=name, type=type_token, olds=to_struct(olds or {}), news=to_struct(news), randomSeed=seed
            )
        )
        return response

    def checked(self, type_token: str, name: str, news: dict[str, Any], olds: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        response = self.check(type_token, name, news, olds)
        assert list(response.failures) == [], response.failures
        return from_struct(response.inputs)

    def diff(self, resource: Deployed, news: dict[str, Any], olds: Optional[dict[str, Any]] = None) -> provider_pb2.DiffResponse:
        response: provider_pb2.DiffResponse = self.stub.Diff(
            provider_pb2.DiffRequest(
                id=resource.id, urn=resource.urn, name=resource.urn.rsplit("::", 1)[1], type=resource.type,
                olds=to_struct(resource.outputs if olds is None else olds), old_inputs=to_struct(resource.inputs), news=to_struct(news),
            )
        )
        return response

    def create(self, type_token: str, name: str, inputs: dict[str, Any], preview: bool = False) -> Deployed:
        urn = self.urn(type_token, name)
        response = self.stub.Create(
            provider_pb2.CreateRequest(urn=urn, name=name, type=type_token, properties=to_struct(inputs), timeout=300, preview=preview)
        )
        return Deployed(urn, type_token, response.id, inputs, from_struct(response.properties))

    def deploy(self, type_token: str, name: str, news: dict[str, Any]) -> Deployed:
        """What ``pulumi up`` does for a new resource: ``Check``, then ``Create`` with the checked inputs."""
        return self.create(type_token, name, self.checked(type_token, name, news))

    def read(self, resource: Deployed, with_state: bool = True) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """A refresh (state and inputs sent) or an import (the id alone)."""
        name = resource.urn.rsplit("::", 1)[1]
        request = provider_pb2.ReadRequest(id=resource.id, urn=resource.urn, name=name, type=resource.type, properties=to_struct({}))
        if with_state:
            request = provider_pb2.ReadRequest(
                id=resource.id, urn=resource.urn, name=name, type=resource.type, properties=to_struct(resource.outputs),
                inputs=to_struct(resource.inputs),
            )
        response = self.stub.Read(request)
        return response.id, from_struct(response.properties), from_struct(response.inputs)

    def update(self, resource: Deployed, news: dict[str, Any], preview: bool = False) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=resource.id, urn=resource.urn, name=resource.urn.rsplit("::", 1)[1], type=resource.type,
                olds=to_struct(resource.outputs), old_inputs=to_struct(resource.inputs), news=to_struct(news), timeout=300, preview=preview,
            )
        )
        outputs: dict[str, Any] = from_struct(response.properties)
        return outputs

    def delete(self, resource: Deployed) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=resource.id, urn=resource.urn, name=resource.urn.rsplit("::", 1)[1], type=resource.type,
                properties=to_struct(resource.outputs), old_inputs=to_struct(resource.inputs), timeout=300,
            )
        )
