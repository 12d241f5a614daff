"""Benchmark client: makes N GetClientKey calls, one after another, with the official Python SDK
(alibabacloud-kms20160120, signature_algorithm="v2", i.e. the same HMAC-SHA1 RPC signature as
the Rust client), against a local server. Run by kms_bench_signed_call.py.

Usage: python kms_bench_python_client.py <host:port> <calls>
"""

import sys

from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models


def main():
    endpoint, calls = sys.argv[1], int(sys.argv[2])
    config = open_api_models.Config(
        access_key_id="testid",
        access_key_secret="testsecret",
        region_id="cn-hangzhou",
        endpoint=endpoint,
        protocol="http",
        signature_algorithm="v2",
    )
    client = Client(config)
    runtime = util_models.RuntimeOptions()
    request = kms_models.GetClientKeyRequest(client_key_id="KAAP.66abf237-63f6-4625-b8cf-47e1086e0000")
    for _ in range(calls):
        reply = client.get_client_key_with_options(request, runtime)
        if reply.body.aap_name != "aap_test":
            raise SystemExit("unexpected reply: %r" % (reply.body.to_map(),))


if __name__ == "__main__":
    main()
