"""Signing oracle for the Rust signer tests: computes RPC (HMAC-SHA1, SignatureVersion 1.0)
signatures with the official Alibaba Cloud Python SDKs.

Reads one JSON object per line on stdin: {"method": str, "secret": str, "params": [[key, value], ...]}.
Writes one JSON object per line on stdout: {"canonical": str, "string_to_sign": str, "signature": str}.

Each case is computed with aliyun-python-sdk-core (rpc_signature_composer, the "old SDK" of
docs/kms-api.md) and with alibabacloud-openapi-util (Client.get_rpcsignature); the two must agree, or the
script exits non-zero naming the case. All cases run in this one process so thousands stay fast.
"""

import json
import sys

from aliyunsdkcore.auth.composer import rpc_signature_composer as composer
from aliyunsdkcore.vendored.six.moves.urllib.parse import urlencode
from alibabacloud_openapi_util.client import Client as OpenApiUtil

# Private helpers of the composer, reached by their mangled module-level names.
compose_string_to_sign = getattr(composer, "__compose_string_to_sign")
get_signature = getattr(composer, "__get_signature")
pop_standard_urlencode = getattr(composer, "__pop_standard_urlencode")


def sign(method, secret, params):
    params = dict(params)
    # The canonical query, exactly as the first two steps of __compose_string_to_sign build it.
    canonical = pop_standard_urlencode(urlencode(sorted(params.items(), key=lambda item: item[0])))
    string_to_sign = compose_string_to_sign(method, params)
    signature = get_signature(string_to_sign, secret)
    other = OpenApiUtil.get_rpcsignature(dict(params), method, secret)
    if other != signature:
        raise SystemExit(
            "the two official SDKs disagree: aliyun-python-sdk-core %r, alibabacloud-openapi-util %r"
            % (signature, other)
        )
    return {"canonical": canonical, "string_to_sign": string_to_sign, "signature": signature}


def main():
    # Bytes in, ASCII out: independent of the locale the test runner happens to have.
    out = sys.stdout
    for line_number, raw_line in enumerate(sys.stdin.buffer, start=1):
        line = raw_line.decode("utf-8")
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = sign(case["method"], case["secret"], case["params"])
        except SystemExit as error:
            raise SystemExit("case on line %d: %s" % (line_number, error))
        out.write(json.dumps(result))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    main()
