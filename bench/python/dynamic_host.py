"""Benchmark: what our Python SDK costs inside the real Pulumi dynamic-provider host.

It starts the host exactly as the engine does (`python -u -m pulumi.dynamic`, which prints its
port), with our SDK importable and ALICLOUD_KMS_PROVIDER_PATH naming the provider binary, and
calls it over gRPC the way the engine does (`ResourceProviderStub` from `pulumi.runtime.proto`),
with the provider serialized by our SDK (`serialize_provider`). Measured:

- host start-up: spawn of the host process -> its port line (the engine cannot talk to it before);
- provider start-up inside the host: the first `Check` on a fresh host, which unpickles our
  provider, runs its `configure` (spawning our binary) and then the check;
- per operation: a `check` (and, once the resource operations exist, a `create` of a ClientKey)
  through the host vs the same request sent straight to the binary over its stdio pipe, both
  sequential, median latency; the difference is what the host and our SDK add.

Prints one JSON object. `create` figures are null with a reason while the binary answers
`create` with -32050 not_implemented.

Usage: python dynamic_host.py --provider BIN --sdk DIR --endpoint HOST:PORT [--host-starts 10] [--ops 200]
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
AAP_NAME = "bench_dynamic_host"


def struct(values):
    message = struct_pb2.Struct()
    message.update(values)
    return message


def start_host(arguments):
    """Starts a host; returns (process, port, seconds from spawn to the port line)."""
    env = dict(os.environ)
    env["ALICLOUD_KMS_PROVIDER_PATH"] = arguments.provider
    env["PYTHONPATH"] = arguments.sdk + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env
    )
    port = process.stdout.readline().decode().strip()
    elapsed = time.perf_counter() - started
    if not port.isdigit():
        process.kill()
        raise SystemExit("the dynamic-provider host printed %r instead of its port" % port)
    return process, int(port), elapsed


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

    # Host start-up, several fresh hosts; the last one stays up for the rest.
    starts = []
    host = None
    for index in range(arguments.host_starts):
        if host is not None:
            stop_host(host)
        host, port, elapsed = start_host(arguments)
        starts.append(elapsed)
    result["host_start_seconds"] = statistics.median(starts)
    result["host_start_samples"] = len(starts)

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

    # Interleaved in blocks so that a change in machine load hits both paths alike.
    host_checks, direct_checks = [], []
    for _ in range(4):
        host_checks.append(median_latency(lambda: stub.Check(check_request), arguments.ops // 4))
        direct_checks.append(median_latency(direct_check, arguments.ops // 4))
    result["check_host_seconds"] = statistics.median(host_checks)
    result["check_direct_seconds"] = statistics.median(direct_checks)

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

        creates = max(arguments.ops // 4, 8)
        host_creates, direct_creates = [], []
        for _ in range(4):
            host_creates.append(median_latency(host_create, creates // 4))
            direct_creates.append(median_latency(direct_create, creates // 4))
        result["create_host_seconds"] = statistics.median(host_creates)
        result["create_direct_seconds"] = statistics.median(direct_creates)

    direct.close()
    channel.close()
    stop_host(host)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
