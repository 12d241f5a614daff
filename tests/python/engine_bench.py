"""
Benchmark (reported, never enforced): what the Python SDK costs inside Pulumi's Python
dynamic-provider host.

1. Start-up: the host started as the engine starts it (``python -u -m pulumi.dynamic``) until it
   prints its port, until its first ``Configure`` is answered, and until its first ``Check`` is
   answered (which unpickles our provider, configures it, spawns ``alicloud-kms-provider`` and
   configures that). Repeated with a fresh host each time.
2. Per-operation overhead: the same ``create`` (an access point, and a client key with its key
   file) sent through the host over gRPC, as the engine sends it; to our SDK's provider object
   called in this process (its own child binary; no gRPC, no host); and straight to the binary
   over JSON-RPC. The three alternate, so all see the same machine load. The overhead is the
   difference of the medians: host path minus direct is what a user pays per operation, SDK
   path minus direct is the part our SDK's runtime accounts for.

Everything runs against a local ``kms-emulator``. Usage (``pulumi_alicloud_kms`` importable, e.g.
pip-installed into a directory on ``PYTHONPATH``; release binaries for realistic figures)::

    ALICLOUD_KMS_PROVIDER_PATH=target/release/alicloud-kms-provider \\
    KMS_EMULATOR_PATH=target/release/kms-emulator \\
    PYTHONPATH=<site with pulumi_alicloud_kms> .venv/bin/python tests/python/engine_bench.py --runs 50
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pulumi.dynamic
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from engine_harness import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    Emulator,
    Engine,
    required_path,
    scrubbed_environment,
    secret,
    stack_config,
    start_python_host,
    strip_secrets,
    urn_of,
)
from pulumi_alicloud_kms import _provider, application_access_point, client_key

AAP_TYPE = "pulumi-python:dynamic/alicloud-kms:ApplicationAccessPoint"
KEY_TYPE = "pulumi-python:dynamic/alicloud-kms:ClientKey"


class DirectBinary:
    """``alicloud-kms-provider`` spoken to directly: one request at a time, log notifications skipped."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [required_path("ALICLOUD_KMS_PROVIDER_PATH")], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 1

    def call(self, method: str, params: dict[str, Any]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        request_id = self.next_id
        self.next_id += 1
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).encode() + b"\n")
        self.process.stdin.flush()
        while True:
            reply = json.loads(self.process.stdout.readline())
            if reply.get("id") == request_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"]["message"])
                return reply["result"]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def milliseconds(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p90 {p90 * 1000:7.2f} ms   (n={len(ordered)})"


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def startup(emulator: Emulator, work: Path, runs: int) -> None:
    aap_inputs = {
        "__provider": serialize_provider(application_access_point._PROVIDER),
        "application_access_point_name": "startup",
        "policies": ["aa"],
    }
    to_port: list[float] = []
    to_configure: list[float] = []
    to_check: list[float] = []
    for run in range(runs):
        directory = work / f"startup-{run}"
        (directory / "home").mkdir(parents=True)
        started = time.perf_counter()
        host = start_python_host(directory, scrubbed_environment(directory / "home"), directory / "host.stderr")
        try:
            to_port.append(time.perf_counter() - started)
            engine = Engine(host.stub, "pulumi-python")
            engine.configure(stack_config(emulator))
            to_configure.append(time.perf_counter() - started)
            checked = engine.check(urn_of(AAP_TYPE, "startup"), {}, aap_inputs)
            assert checked.failures == []
            to_check.append(time.perf_counter() - started)
        finally:
            host.stop()
    print(f"host start -> port printed          {milliseconds(to_port)}")
    print(f"host start -> first Configure done  {milliseconds(to_configure)}")
    print(f"host start -> first Check done      {milliseconds(to_check)}   (unpickle, configure, spawn the binary)")


def overhead(emulator: Emulator, work: Path, runs: int) -> None:
    directory = work / "overhead"
    (directory / "home").mkdir(parents=True)
    environment = scrubbed_environment(directory / "home")
    previous_directory = os.getcwd()
    host = start_python_host(directory, environment, directory / "host.stderr")
    binary = DirectBinary(directory, environment)
    try:
        engine = Engine(host.stub, "pulumi-python")
        engine.configure(stack_config(emulator))
        binary.call(
            "configure",
            {
                "variables": {
                    "alicloud-kms:config:endpoint": emulator.address,
                    "alicloud-kms:config:protocol": "HTTP",
                    "alicloud-kms:config:accessKey": DEMO_ACCESS_KEY_ID,
                    "alicloud-kms:config:secretKey": DEMO_ACCESS_KEY_SECRET,
                },
                "acceptSecrets": False,
            },
        )
        aap_provider = serialize_provider(application_access_point._PROVIDER)
        key_provider = serialize_provider(client_key._PROVIDER)

        # Warm both paths (the host's first call loads the provider and spawns its child), and
        # make the access point the client keys go into.
        warm = {"__provider": aap_provider, "application_access_point_name": "bench-keys", "policies": ["aa"]}
        engine.create(urn_of(AAP_TYPE, "warm"), engine.check(urn_of(AAP_TYPE, "warm"), {}, warm).inputs)
        binary.call("create", {"type": "alicloud-kms:index:ApplicationAccessPoint", "properties": {"applicationAccessPointName": "bench-warm", "policies": ["aa"]}})

        # The SDK's provider objects in this process: their shared child starts here, in the
        # same directory (it inherits this process's) and environment, configured as the host
        # configures it.
        os.chdir(directory)
        _provider.set_provider_process(_provider.ProviderProcess([required_path("ALICLOUD_KMS_PROVIDER_PATH")], env=environment))
        config = pulumi.dynamic.ConfigureRequest(pulumi.dynamic.Config(strip_secrets(stack_config(emulator)), "bench"))
        application_access_point._PROVIDER.configure(config)
        application_access_point._PROVIDER.create({"application_access_point_name": "sdk-warm", "policies": ["aa"]})

        through_host: dict[str, list[float]] = {"ApplicationAccessPoint": [], "ClientKey": []}
        in_process: dict[str, list[float]] = {"ApplicationAccessPoint": [], "ClientKey": []}
        direct: dict[str, list[float]] = {"ApplicationAccessPoint": [], "ClientKey": []}
        for run in range(runs):
            # What the engine sends the host (checked inputs, Python names, __provider), and the
            # same create as the binary's own request.
            aap_host = {"__provider": aap_provider, "application_access_point_name": f"host-{run}", "policies": ["aa"], "description": "aa"}
            aap_direct = {"applicationAccessPointName": f"direct-{run}", "policies": ["aa"], "description": "aa"}
            key_host = {
                "__provider": key_provider,
                "aap_name": "bench-keys",
                "password": secret("YouPassword123!"),
                "not_before": "2023-09-01T14:11:22Z",
                "not_after": "2028-09-01T14:11:22Z",
                "private_key_data_file": f"./host-{run}.json",
            }
            key_direct = {
                "aapName": "bench-keys",
                "password": secret("YouPassword123!"),
                "notBefore": "2023-09-01T14:11:22Z",
                "notAfter": "2028-09-01T14:11:22Z",
                "privateKeyDataFile": f"./direct-{run}.json",
            }
            aap_sdk = {**strip_secrets(aap_host), "application_access_point_name": f"sdk-{run}"}
            key_sdk = {**strip_secrets(key_host), "private_key_data_file": f"./sdk-{run}.json"}
            through_host["ApplicationAccessPoint"].append(timed(lambda: engine.stub.Create(provider_pb2.CreateRequest(urn=urn_of(AAP_TYPE, "a"), properties=engine.marshal(aap_host)))))
            in_process["ApplicationAccessPoint"].append(timed(lambda: application_access_point._PROVIDER.create(aap_sdk)))
            direct["ApplicationAccessPoint"].append(timed(lambda: binary.call("create", {"type": "alicloud-kms:index:ApplicationAccessPoint", "properties": aap_direct})))
            through_host["ClientKey"].append(timed(lambda: engine.stub.Create(provider_pb2.CreateRequest(urn=urn_of(KEY_TYPE, "k"), properties=engine.marshal(key_host)))))
            in_process["ClientKey"].append(timed(lambda: client_key._PROVIDER.create(key_sdk)))
            direct["ClientKey"].append(timed(lambda: binary.call("create", {"type": "alicloud-kms:index:ClientKey", "properties": key_direct})))
        for resource in ("ApplicationAccessPoint", "ClientKey"):
            baseline = statistics.median(direct[resource])
            print(f"create {resource:22} through the host     {milliseconds(through_host[resource])}")
            print(f"create {resource:22} SDK object, no host  {milliseconds(in_process[resource])}")
            print(f"create {resource:22} straight to binary   {milliseconds(direct[resource])}")
            print(
                f"create {resource:22} overhead (difference of medians): host path {(statistics.median(through_host[resource]) - baseline) * 1000:.2f} ms,"
                f" of which our SDK {(statistics.median(in_process[resource]) - baseline) * 1000:.2f} ms"
            )
    finally:
        _provider.provider_process().stop()
        os.chdir(previous_directory)
        binary.stop()
        host.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="creates per path and resource (default 50)")
    parser.add_argument("--startup-runs", type=int, default=10, help="fresh hosts for the start-up figures (default 10)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as temporary:
        work = Path(temporary)
        emulator = Emulator(work / "kms-emulator.log")
        try:
            print(f"provider {required_path('ALICLOUD_KMS_PROVIDER_PATH')}, emulator {required_path('KMS_EMULATOR_PATH')}")
            startup(emulator, work, arguments.startup_runs)
            overhead(emulator, work, arguments.runs)
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
