"""Writes kms-emulator/tests/data/signature_v3_vectors.json: signature V3 (ACS3-HMAC-SHA256) test
vectors computed by the official Alibaba Cloud code (alibabacloud-openapi-util, the signer the
Tea SDK uses), so that the emulator's independent V3 verifier is checked against it.

Run from the repository root with the test venv's python:
    .venv/bin/python kms-emulator/tests/python/make_signature_v3_vectors.py
The output is deterministic (fixed times, nonces and secrets).
"""

import hashlib
import json
import pathlib

from alibabacloud_openapi_util import client as openapi_util
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from Tea.request import TeaRequest

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "signature_v3_vectors.json"


def vector(name, method, query, headers, body, access_key_id, secret):
    request = TeaRequest()
    request.method = method
    request.pathname = "/"
    request.query = dict(query)
    payload = hashlib.sha256(body.encode("utf-8")).hexdigest()
    request.headers = dict(headers)
    request.headers["x-acs-content-sha256"] = payload
    canonical_headers, signed_headers = openapi_util.get_canonicalized_headers(request.headers)
    canonical_request = "\n".join([
        method,
        "/",
        openapi_util.get_canonical_query_string(request.query),
        canonical_headers,
        signed_headers,
        payload,
    ])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    authorization = OpenApiUtil.get_authorization(request, "ACS3-HMAC-SHA256", payload, access_key_id, secret)
    return {
        "name": name,
        "method": method,
        "path": "/",
        "query": query,
        "headers": [[key, value] for key, value in request.headers.items()],
        "body": body,
        "access_key_id": access_key_id,
        "secret": secret,
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "authorization": authorization,
    }


def tea_headers(action, version, nonce, host="kms.cn-hangzhou.aliyuncs.com", date="2024-01-02T03:04:05Z"):
    return {
        "host": host,
        "x-acs-version": version,
        "x-acs-action": action,
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.6 TeaDSL/1",
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
    }


def main():
    vectors = [
        vector(
            "V3-A GetClientKey, GET, one query parameter",
            "GET",
            {"ClientKeyId": "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000"},
            tea_headers("GetClientKey", "2016-01-20", "5f2b2f3e7a6c4d0e9b1a2c3d4e5f6a7b"),
            "",
            "testid",
            "testsecret",
        ),
        vector(
            "V3-B CreateApplicationAccessPoint, POST, UTF-8, JSON and reserved characters, STS token headers",
            "POST",
            {
                "Name": "aap_test",
                "AuthenticationMethod": "ClientKey",
                "Policies": '["policy_a","policy_b"]',
                "Description": "测试 aap*~+/=&",
            },
            {
                **tea_headers("CreateApplicationAccessPoint", "2016-01-20", "0123456789abcdef0123456789abcdef"),
                "x-acs-accesskey-id": "STS.testid",
                "x-acs-security-token": "CAIS+token/with=chars",
            },
            "",
            "STS.testid",
            "test/secret+key=",
        ),
        vector(
            "V3-C CreateClientKey, POST, action parameters in a form body",
            "POST",
            {},
            {
                **tea_headers("CreateClientKey", "2016-01-20", "d5d9f2a4-0b1c-4e8e-9f3a-1234567890ab"),
                "content-type": "application/x-www-form-urlencoded",
            },
            "AapName=aap_test&Password=Ab1%21%40%23%24%25%5E%26%2A%3F_-~+%2B%2F%3D",
            "testid",
            "testsecret",
        ),
        vector(
            "V3-D STS AssumeRole, POST, no parameter value needing escapes",
            "POST",
            {
                "RoleArn": "acs:ram::1234567890123456:role/ci-deployer",
                "RoleSessionName": "pipeline-42",
                "DurationSeconds": "3600",
            },
            tea_headers("AssumeRole", "2015-04-01", "6a1d3b0c-1111-2222-3333-444455556666", host="sts.aliyuncs.com"),
            "",
            "testid",
            "testsecret",
        ),
    ]
    OUT.write_text(json.dumps({
        "source": "computed by alibabacloud-openapi-util 0.2.4 (OpenApiUtil.get_authorization, get_canonical_query_string, get_canonicalized_headers) with kms-emulator/tests/python/make_signature_v3_vectors.py",
        "vectors": vectors,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
