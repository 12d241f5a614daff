"""Writes tests/fixtures/signing/<case>/ from the signing test vectors listed in docs/kms-api.md
(section 7, vectors A, A', B to G).

The string to sign and the signature of each case are the published or recomputed values below; the canonical
query is computed by the official SDK (kms_signing_oracle.sign), and the script refuses to write a
case whose string to sign or signature the SDK does not reproduce. Run it once when a vector is
added: `.venv/bin/python tests/python/make_kms_signing_fixtures.py`.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kms_signing_oracle import sign  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "signing")

CASES = [
    {
        "name": "a-ecs-describe-regions",
        "method": "GET",
        "secret": "testsecret",
        "params": [
            ["Format", "XML"], ["AccessKeyId", "testid"], ["Action", "DescribeRegions"],
            ["SignatureMethod", "HMAC-SHA1"], ["SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"],
            ["SignatureVersion", "1.0"], ["Version", "2014-05-26"], ["Timestamp", "2016-02-23T12:46:24Z"],
        ],
        "string_to_sign": "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
        "signature": "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
    },
    {
        "name": "a-prime-timestamp-key-case",
        "method": "GET",
        "secret": "testsecret",
        "params": [
            ["TimeStamp", "2016-02-23T12:46:24Z"], ["Format", "XML"], ["AccessKeyId", "testid"],
            ["Action", "DescribeRegions"], ["SignatureMethod", "HMAC-SHA1"],
            ["SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"], ["SignatureVersion", "1.0"],
            ["Version", "2014-05-26"],
        ],
        "string_to_sign": "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
        "signature": "CT9X0VtwR86fNWSnsc6v8YGOjuE=",
    },
    {
        "name": "b-kms-doc-create-key",
        "method": "GET",
        "secret": "testsecret",
        "params": [
            ["Action", "CreateKey"], ["SignatureVersion", "1.0"], ["Format", "json"],
            ["Version", "2016-01-20"], ["AccessKeyId", "testid"], ["SignatureMethod", "HMAC-SHA1"],
            ["Timestamp", "2016-03-28T03:13:08Z"],
        ],
        "string_to_sign": "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateKey%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1%26SignatureVersion%3D1.0%26Timestamp%3D2016-03-28T03%253A13%253A08Z%26Version%3D2016-01-20",
        "signature": "41wk2SSX1GJh7fwnc5eqOfiJPFg=",
    },
    {
        "name": "c-create-client-key-special-characters",
        "method": "POST",
        "secret": "testsecret",
        "params": [
            ["Action", "CreateClientKey"], ["Version", "2016-01-20"], ["Format", "json"],
            ["AccessKeyId", "testid"], ["SignatureMethod", "HMAC-SHA1"], ["SignatureVersion", "1.0"],
            ["SignatureNonce", "d5d9f2a4-0b1c-4e8e-9f3a-1234567890ab"], ["Timestamp", "2024-01-02T03:04:05Z"],
            ["AapName", "aap_test"], ["Password", "Ab1!@#$%^&*?_-~ +/="],
            ["NotBefore", "2023-09-01T14:11:22Z"], ["NotAfter", "2028-09-01T14:11:22Z"],
        ],
        "string_to_sign": "POST&%2F&AapName%3Daap_test%26AccessKeyId%3Dtestid%26Action%3DCreateClientKey%26Format%3Djson%26NotAfter%3D2028-09-01T14%253A11%253A22Z%26NotBefore%3D2023-09-01T14%253A11%253A22Z%26Password%3DAb1%2521%2540%2523%2524%2525%255E%2526%252A%253F_-~%2520%252B%252F%253D%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dd5d9f2a4-0b1c-4e8e-9f3a-1234567890ab%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2016-01-20",
        "signature": "3QmYYYGdyGSjbwZKdF+Jkk75I/g=",
    },
    {
        "name": "d-create-aap-sts-utf8-json",
        "method": "POST",
        "secret": "test/secret+key=",
        "params": [
            ["Action", "CreateApplicationAccessPoint"], ["Version", "2016-01-20"], ["Format", "json"],
            ["AccessKeyId", "STS.testid"], ["SignatureMethod", "HMAC-SHA1"], ["SignatureVersion", "1.0"],
            ["SignatureNonce", "0123456789abcdef0123456789abcdef"], ["Timestamp", "2024-01-02T03:04:05Z"],
            ["SecurityToken", "CAIS+token/with=chars"], ["Name", "aap_test"],
            ["Policies", "[\"policy_a\",\"policy_b\"]"], ["AuthenticationMethod", "ClientKey"],
            ["Description", "测试 aap*~"],
        ],
        "string_to_sign": "POST&%2F&AccessKeyId%3DSTS.testid%26Action%3DCreateApplicationAccessPoint%26AuthenticationMethod%3DClientKey%26Description%3D%25E6%25B5%258B%25E8%25AF%2595%2520aap%252A~%26Format%3Djson%26Name%3Daap_test%26Policies%3D%255B%2522policy_a%2522%252C%2522policy_b%2522%255D%26SecurityToken%3DCAIS%252Btoken%252Fwith%253Dchars%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0123456789abcdef0123456789abcdef%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2016-01-20",
        "signature": "f1nhiJYSlUFag/acYXUCdGhAccE=",
    },
    {
        "name": "e-old-core-get-client-key",
        "method": "GET",
        "secret": "testsecret",
        "params": [
            ["Action", "GetClientKey"], ["Version", "2016-01-20"],
            ["ClientKeyId", "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000"], ["RegionId", "cn-hangzhou"],
            ["Timestamp", "2024-01-02T03:04:05Z"], ["SignatureMethod", "HMAC-SHA1"], ["SignatureType", ""],
            ["SignatureVersion", "1.0"], ["SignatureNonce", "d5d9f2a4-0b1c-4e8e-9f3a-1234567890ab"],
            ["AccessKeyId", "testid"], ["Format", "JSON"],
        ],
        "string_to_sign": "GET&%2F&AccessKeyId%3Dtestid%26Action%3DGetClientKey%26ClientKeyId%3DKAAP.66abf237-63f6-4625-b8cf-47e1086e0000%26Format%3DJSON%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dd5d9f2a4-0b1c-4e8e-9f3a-1234567890ab%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2016-01-20",
        "signature": "s1+DGSpfxazH/m5DZTKjz90R3qw=",
    },
    {
        "name": "f-tea-rpc-get-client-key",
        "method": "GET",
        "secret": "testsecret",
        "params": [
            ["Action", "GetClientKey"], ["Format", "json"], ["Timestamp", "2024-01-02T03:04:05Z"],
            ["Version", "2016-01-20"], ["SignatureNonce", "5f2b2f3e7a6c4d0e9b1a2c3d4e5f6a7b"],
            ["SignatureMethod", "HMAC-SHA1"], ["SignatureVersion", "1.0"], ["AccessKeyId", "testid"],
            ["ClientKeyId", "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000"],
        ],
        "string_to_sign": "GET&%2F&AccessKeyId%3Dtestid%26Action%3DGetClientKey%26ClientKeyId%3DKAAP.66abf237-63f6-4625-b8cf-47e1086e0000%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D5f2b2f3e7a6c4d0e9b1a2c3d4e5f6a7b%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2016-01-20",
        "signature": "Eip8yobK4Aa4FpVkWFXX0WwqoWY=",
    },
    {
        "name": "g-tea-rpc-utils-unit-test",
        "method": "",
        "secret": "accessKeySecret",
        "params": [["test", "ok"]],
        "string_to_sign": "&%2F&test%3Dok",
        "signature": "jHx/oHoHNrbVfhncHEvPdHXZwHU=",
    },
]


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def main():
    for case in CASES:
        computed = sign(case["method"], case["secret"], case["params"])
        for stage in ("string_to_sign", "signature"):
            if computed[stage] != case[stage]:
                raise SystemExit("%s: the SDK's %s %r differs from the vector's %r"
                                 % (case["name"], stage, computed[stage], case[stage]))
        folder = os.path.join(ROOT, case["name"])
        os.makedirs(folder, exist_ok=True)
        write(os.path.join(folder, "params.json"), json.dumps(case["params"], ensure_ascii=False, indent=1) + "\n")
        write(os.path.join(folder, "method.txt"), case["method"])
        write(os.path.join(folder, "secret.txt"), case["secret"])
        write(os.path.join(folder, "canonical.txt"), computed["canonical"])
        write(os.path.join(folder, "string-to-sign.txt"), case["string_to_sign"])
        write(os.path.join(folder, "signature.txt"), case["signature"])
        print("wrote", folder)


if __name__ == "__main__":
    main()
