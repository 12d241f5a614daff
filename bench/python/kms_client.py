"""Benchmark client: GetClientKey calls, one after another, with the official Python SDK
(alibabacloud-kms20160120, signature_algorithm="v2": the same HMAC-SHA1 RPC signature as the Rust
client), against the emulator the harness started. Run by `kms-bench` next to its Rust client.

After the warm-up calls (imports, the keep-alive connection and the SDK's first-call work are done
by then) it measures its own CPU time across the measured calls only and prints one JSON line:
{"calls", "cpu_seconds", "user_seconds", "system_seconds", "wall_seconds"}.

Usage: python kms_client.py <host:port> <client key id> <warm-up calls> <calls>
"""

import json
import resource
import sys
import time

from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models

DEMO_ACCESS_KEY_ID = "demo-access-key-id"
DEMO_ACCESS_KEY_SECRET = "demo-access-key-secret"


def main():
    endpoint, key_id, warmup, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    config = open_api_models.Config(
        access_key_id=DEMO_ACCESS_KEY_ID,
        access_key_secret=DEMO_ACCESS_KEY_SECRET,
        region_id="cn-hangzhou",
        endpoint=endpoint,
        protocol="http",
        signature_algorithm="v2",
    )
    client = Client(config)
    runtime = util_models.RuntimeOptions()
    request = kms_models.GetClientKeyRequest(client_key_id=key_id)

    def one_call():
        reply = client.get_client_key_with_options(request, runtime)
        if reply.body.client_key_id != key_id:
            raise SystemExit("GetClientKey answered another key: %r" % (reply.body.to_map(),))

    for _ in range(warmup):
        one_call()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for _ in range(calls):
        one_call()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "calls": calls,
                "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "user_seconds": after.ru_utime - before.ru_utime,
                "system_seconds": after.ru_stime - before.ru_stime,
                "wall_seconds": wall,
            }
        )
    )


if __name__ == "__main__":
    main()
