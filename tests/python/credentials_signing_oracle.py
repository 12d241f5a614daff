"""Signing oracle for the provider's signature V3 signer and its STS requests, computed with the
official Alibaba Cloud Python code.

Reads one JSON object per line on stdin and writes one JSON object per line on stdout.

{"kind": "v3", "method", "query": [[k, v]...], "headers": [[k, v]...], "body", "access_key_id",
 "secret"} -> {"hashed_payload", "canonical_request", "string_to_sign", "authorization"}
    computed with alibabacloud-openapi-util (Client.get_authorization, the signer of the Tea
    SDK); the darabonba signer in alibabacloud-tea-openapi (utils.Utils.get_authorization) must
    give the same Authorization, or the script exits non-zero naming the case.

{"kind": "sts", "action": "AssumeRole" | "AssumeRoleWithOIDC", "method", "params": [[k, v]...],
 "secret", "role_arn", "session_name", "duration", "policy", "external_id", "access_key_id",
 "security_token", "oidc_provider_arn", "oidc_token", "timestamp", "nonce"}
    -> {"official_params": {...}, "signature_openapi", "signature_credentials"}
    official_params: the parameters alibabacloud-credentials' own RamRoleArnCredentialsProvider
    (or OIDCRoleArnCredentialsProvider) puts in its request for the same role, key, time and
    nonce (its HTTP call is intercepted; nothing leaves the process), without Signature.
    signature_openapi: alibabacloud-openapi-util's RPC signature of `params` with `method`.
    signature_credentials: alibabacloud-credentials' own composer and signer over `params`.
"""

import hashlib
import json
import os
import sys
import tempfile

from alibabacloud_credentials.provider import oidc as oidc_module
from alibabacloud_credentials.provider import ram_role_arn as ram_role_arn_module
from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
from alibabacloud_credentials.provider.ram_role_arn import RamRoleArnCredentialsProvider
from alibabacloud_credentials.utils import parameter_helper
from alibabacloud_openapi_util import client as openapi_util
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from alibabacloud_tea_openapi.utils import Utils as DarabonbaUtils
from Tea.request import TeaRequest


def sign_v3(case):
    request = TeaRequest()
    request.method = case["method"]
    request.pathname = "/"
    request.query = dict(case["query"])
    request.headers = dict(case["headers"])
    payload = hashlib.sha256(case["body"].encode("utf-8")).hexdigest()
    darabonba_payload = DarabonbaUtils.hash(case["body"].encode("utf-8"), "ACS3-HMAC-SHA256").hex()
    if darabonba_payload != payload:
        raise SystemExit("the payload hashes disagree")
    canonical_headers, signed_headers = openapi_util.get_canonicalized_headers(request.headers)
    canonical_request = "\n".join([
        request.method,
        "/",
        openapi_util.get_canonical_query_string(request.query),
        canonical_headers,
        signed_headers,
        payload,
    ])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    authorization = OpenApiUtil.get_authorization(
        request, "ACS3-HMAC-SHA256", payload, case["access_key_id"], case["secret"])
    other = DarabonbaUtils.get_authorization(
        request, "ACS3-HMAC-SHA256", payload, case["access_key_id"], case["secret"])
    if other != authorization:
        raise SystemExit("the two official V3 signers disagree: %r and %r" % (authorization, other))
    return {
        "hashed_payload": payload,
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "authorization": authorization,
    }


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def capture(request, runtime_options):
    raise Captured(request)


def official_params(case):
    """The parameters the official provider sends, with its clock and nonce pinned."""
    parameter_helper.get_iso_8061_date = lambda: case["timestamp"]
    parameter_helper.get_uuid = lambda: case["nonce"]
    ram_role_arn_module.TeaCore.do_action = staticmethod(capture)
    oidc_module.TeaCore.do_action = staticmethod(capture)
    if case["action"] == "AssumeRole":
        provider = RamRoleArnCredentialsProvider(
            access_key_id=case["access_key_id"],
            access_key_secret=case["secret"],
            security_token=case["security_token"],
            role_arn=case["role_arn"],
            role_session_name=case["session_name"],
            duration_seconds=case["duration"],
            policy=case["policy"],
            external_id=case["external_id"],
            sts_endpoint="sts.example.com",
        )
        refresh = provider._refresh_credentials
    else:
        handle, path = tempfile.mkstemp()
        with os.fdopen(handle, "w") as file:
            file.write(case["oidc_token"])
        provider = OIDCRoleArnCredentialsProvider(
            role_arn=case["role_arn"],
            oidc_provider_arn=case["oidc_provider_arn"],
            oidc_token_file_path=path,
            role_session_name=case["session_name"],
            duration_seconds=case["duration"],
            policy=case["policy"],
            sts_endpoint="sts.example.com",
        )
        refresh = provider._refresh_credentials
    try:
        refresh()
    except Captured as captured:
        params = dict(captured.request.query)
    else:
        raise SystemExit("the official provider did not send a request")
    finally:
        if case["action"] != "AssumeRole":
            os.unlink(path)
    params.pop("Signature", None)
    return params


def sign_sts(case):
    params = dict(case["params"])
    composed = parameter_helper.compose_string_to_sign(case["method"], params)
    return {
        "official_params": official_params(case),
        "signature_openapi": OpenApiUtil.get_rpcsignature(dict(params), case["method"], case["secret"]),
        "signature_credentials": parameter_helper.sign_string(composed, case["secret"] + "&"),
    }


def main():
    out = sys.stdout
    for line_number, raw_line in enumerate(sys.stdin.buffer, start=1):
        line = raw_line.decode("utf-8")
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = sign_v3(case) if case["kind"] == "v3" else sign_sts(case)
        except SystemExit as error:
            raise SystemExit("case on line %d: %s" % (line_number, error))
        out.write(json.dumps(result))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    main()
