"""Benchmark: what our Python SDK costs inside the real Pulumi dynamic-provider host, and the
native plugin `pulumi-resource-alicloud-kms` beside it in the same run.

It starts the host exactly as the engine does (`python -u -m pulumi.dynamic`, which prints its
port), with our SDK importable and ALICLOUD_KMS_PROVIDER_PATH naming the provider binary, and
calls it over gRPC the way the engine does (`ResourceProviderStub` from `pulumi.runtime.proto`),
with the provider serialized by our SDK (`serialize_provider`). Measured:

- host start-up: spawn of the host process -> its port line (the engine cannot talk to it before);
- provider start-up inside the host: the first `Check` on a fresh host, which unpickles our
  provider, runs its `configure` (spawning our binary) and then the check;
- per operation: a `check` (and, once the resource operations exist, a `create` of a ClientKey)
  through the host vs the same request sent straight to the binary over its stdio pipe, both
  sequential, median latency; the difference is what the host and our SDK add;
- the plugin (`--plugin`, the launcher `cargo build` makes): spawn -> port line, through the
  launcher (as the wheel installs it) and as the binary itself under the plugin's name (as the npm
  package and the plugin cache run it), the starts interleaved with the host's; and the same
  `check` and `create` over gRPC to the plugin, interleaved with the other two paths.

Prints one JSON object. `create` figures are null with a reason while the binary answers
`create` with -32050 not_implemented.

Usage: python dynamic_host.py --provider BIN --plugin BIN --sdk DIR --endpoint HOST:PORT [--host-starts 10] [--ops 200]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import grpc
from google.protobuf import struct_pb2

from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

DEMO_ACCESS_KEY_ID = "demo-access-key-id"
DEMO_ACCESS_KEY_SECRET = "demo-access-key-secret"
NOT_IMPLEMENTED = -32050
KEY_URN = "urn:pulumi:stack::project::pulumi-python:dynamic/alicloud-kms:ClientKey::key"
PLUGIN_KEY_URN = "urn:pulumi:stack::project::alicloud-kms:index:ClientKey::key"
AAP_NAME = "bench_dynamic_host"


def struct(values):
    message = struct_pb2.Struct()
    message.update(values)
    return message


PLUGIN_NAME = "pulumi-resource-alicloud-kms"
PLUGIN_STARTS_PER_HOST_START = 10
"""Plugin starts per host start: the plugin's take milliseconds, so more samples cost little."""


def spawn_until_port(what, command, **options):
    """Spawns a plugin process as the engine does; returns (process, port, seconds from the spawn
    to its port line)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **options)
    port = process.stdout.readline().decode().strip()
    elapsed = time.perf_counter() - started
    if not port.isdigit():
        process.kill()
        raise SystemExit("the %s printed %r instead of its port" % (what, port))
    return process, int(port), elapsed


def start_plugin(command, executable=None):
    """Starts the plugin as the engine does (flags, then the engine's address; nothing listens
    there, so its log messages stay on stderr)."""
    return spawn_until_port(
        "plugin", command + ["--logtostderr", "127.0.0.1:9"], executable=executable, stderr=subprocess.DEVNULL
    )


def start_host(arguments):
    """Starts a Python dynamic-provider host as the engine does."""
    env = dict(os.environ)
    env["ALICLOUD_KMS_PROVIDER_PATH"] = arguments.provider
    env["PYTHONPATH"] = arguments.sdk + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return spawn_until_port("dynamic-provider host", [sys.executable, "-u", "-m", "pulumi.dynamic"], env=env)


def stop_host(process):
    process.kill()
    process.wait()


class Direct:
    """The provider binary spoken to straight over its stdio pipe, one request at a time."""

    def __init__(self, binary):
        self.process = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 1

    def call(self, method, params):
        request_id = self.next_id
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, separators=(",", ":"))
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        while True:
            reply = json.loads(self.process.stdout.readline())
            if reply.get("id") == request_id:
                return reply

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def median_latency(operation, count):
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", required=True)
    parser.add_argument("--plugin", required=True, help="the plugin launcher (target/release/pulumi-resource-alicloud-kms)")
    parser.add_argument("--sdk", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--host-starts", type=int, default=10)
    parser.add_argument("--ops", type=int, default=200)
    arguments = parser.parse_args()
    sys.path.insert(0, arguments.sdk)
    from pulumi_alicloud_kms import client_key  # noqa: E402 (needs the SDK path first)

    serialized = serialize_provider(client_key._PROVIDER)
    config = {
        "alicloud-kms:region": "cn-hangzhou",
        "alicloud-kms:accessKey": DEMO_ACCESS_KEY_ID,
        "alicloud-kms:secretKey": DEMO_ACCESS_KEY_SECRET,
        "alicloud-kms:endpoint": arguments.endpoint,
        "alicloud-kms:protocol": "HTTP",
    }
    key_inputs = {"aap_name": AAP_NAME, "password": "Bench-Password-1"}
    schema_inputs = {"aapName": AAP_NAME, "password": "Bench-Password-1"}

    result = {}

    # Host start-up, several fresh hosts (the last one stays up for the rest), each followed by
    # plugin starts through the launcher and as the binary under the plugin's name.
    starts, launcher_starts, direct_starts = [], [], []
    host = None
    for index in range(arguments.host_starts):
        if host is not None:
            stop_host(host)
        host, port, elapsed = start_host(arguments)
        starts.append(elapsed)
        for _ in range(PLUGIN_STARTS_PER_HOST_START):
            plugin, _, elapsed = start_plugin([arguments.plugin])
            stop_host(plugin)
            launcher_starts.append(elapsed)
            plugin, _, elapsed = start_plugin([PLUGIN_NAME], executable=arguments.provider)
            stop_host(plugin)
            direct_starts.append(elapsed)
    result["host_start_seconds"] = statistics.median(starts)
    result["host_start_samples"] = len(starts)
    result["plugin_start_launcher_seconds"] = statistics.median(launcher_starts)
    result["plugin_start_direct_seconds"] = statistics.median(direct_starts)
    result["plugin_start_samples"] = len(launcher_starts)

    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    stub.Configure(provider_pb2.ConfigureRequest(args=struct(config), acceptSecrets=False))

    check_request = provider_pb2.CheckRequest(
        urn=KEY_URN, olds=struct({}), news=struct({"__provider": serialized, **key_inputs})
    )
    started = time.perf_counter()
    first = stub.Check(check_request)
    result["provider_start_in_host_seconds"] = time.perf_counter() - started
    if list(first.failures):
        raise SystemExit("check through the host failed: %s" % first.failures)

    direct = Direct(arguments.provider)
    configured = direct.call(
        "configure",
        {"variables": {key.replace("alicloud-kms:", "alicloud-kms:config:"): value for key, value in config.items()}},
    )
    if "result" not in configured:
        raise SystemExit("configure straight to the binary failed: %s" % configured)

    def direct_check():
        reply = direct.call("check", {"type": "alicloud-kms:index:ClientKey", "olds": {}, "news": schema_inputs})
        if reply.get("result", {}).get("failures") != []:
            raise SystemExit("check straight to the binary failed: %s" % reply)

    # The plugin, configured as the engine configures it (Handshake, then Configure with the
    # provider's inputs), serving the same requests under its own type tokens.
    plugin, plugin_port, _ = start_plugin([arguments.plugin])
    plugin_channel = grpc.insecure_channel("127.0.0.1:%d" % plugin_port, options=[("grpc.enable_http_proxy", 0)])
    plugin_stub = provider_pb2_grpc.ResourceProviderStub(plugin_channel)
    plugin_stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address="127.0.0.1:9"))
    plugin_config = {key.split(":", 1)[1]: value for key, value in config.items()}
    plugin_stub.Configure(
        provider_pb2.ConfigureRequest(
            variables={key.replace("alicloud-kms:", "alicloud-kms:config:"): value for key, value in config.items()},
            args=struct(plugin_config), acceptSecrets=True, acceptResources=True,
        )
    )
    plugin_check_request = provider_pb2.CheckRequest(urn=PLUGIN_KEY_URN, olds=struct({}), news=struct(schema_inputs))

    def plugin_check():
        reply = plugin_stub.Check(plugin_check_request)
        if list(reply.failures):
            raise SystemExit("check through the plugin failed: %s" % reply.failures)

    # Interleaved in blocks so that a change in machine load hits every path alike.
    host_checks, direct_checks, plugin_checks = [], [], []
    for _ in range(4):
        host_checks.append(median_latency(lambda: stub.Check(check_request), arguments.ops // 4))
        direct_checks.append(median_latency(direct_check, arguments.ops // 4))
        plugin_checks.append(median_latency(plugin_check, arguments.ops // 4))
    result["check_host_seconds"] = statistics.median(host_checks)
    result["check_direct_seconds"] = statistics.median(direct_checks)
    result["check_plugin_seconds"] = statistics.median(plugin_checks)

    # create: needs the resource operations. The AAP is made straight through the binary.
    aap = direct.call(
        "create",
        {"type": "alicloud-kms:index:ApplicationAccessPoint", "properties": {"applicationAccessPointName": AAP_NAME, "policies": ["bench_policy"]}},
    )
    if aap.get("error", {}).get("code") == NOT_IMPLEMENTED:
        result["create_host_seconds"] = None
        result["create_direct_seconds"] = None
        result["create_unavailable"] = "not available: create answers not_implemented"
    else:
        if "result" not in aap:
            raise SystemExit("creating the AAP straight through the binary failed: %s" % aap)
        create_request = provider_pb2.CreateRequest(urn=KEY_URN, properties=struct({"__provider": serialized, **key_inputs}))

        def host_create():
            reply = stub.Create(create_request)
            if not reply.id:
                raise SystemExit("create through the host returned no id")

        def direct_create():
            reply = direct.call("create", {"type": "alicloud-kms:index:ClientKey", "properties": schema_inputs})
            if not reply.get("result", {}).get("id"):
                raise SystemExit("create straight to the binary failed: %s" % reply)

        plugin_create_request = provider_pb2.CreateRequest(urn=PLUGIN_KEY_URN, properties=struct(schema_inputs))

        def plugin_create():
            reply = plugin_stub.Create(plugin_create_request)
            if not reply.id:
                raise SystemExit("create through the plugin returned no id")

        creates = max(arguments.ops // 4, 8)
        host_creates, direct_creates, plugin_creates = [], [], []
        for _ in range(4):
            host_creates.append(median_latency(host_create, creates // 4))
            direct_creates.append(median_latency(direct_create, creates // 4))
            plugin_creates.append(median_latency(plugin_create, creates // 4))
        result["create_host_seconds"] = statistics.median(host_creates)
        result["create_direct_seconds"] = statistics.median(direct_creates)
        result["create_plugin_seconds"] = statistics.median(plugin_creates)

    direct.close()
    channel.close()
    plugin_channel.close()
    stop_host(plugin)
    stop_host(host)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
