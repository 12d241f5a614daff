"""The official Alibaba Cloud Python SDKs drive the KMS emulator as a client.

Run by kms-emulator/tests/it/python_sdks.rs, which starts an emulator and passes its address and
credentials in the environment:
KMS_EMULATOR_HOST (host:port), KMS_EMULATOR_STS_ID / _STS_SECRET / _STS_TOKEN (an STS credential).
The demo credential is demo-access-key-id:demo-access-key-secret.
"""

import base64
import json
import os
import uuid

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_tea_openapi import exceptions as tea_exceptions
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from aliyunsdkcore.acs_exception.exceptions import ServerException as CoreServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.utils import parameter_helper
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from Tea.model import TeaModel

HOST = os.environ["KMS_EMULATOR_HOST"]
DEMO_ID = "demo-access-key-id"
DEMO_SECRET = "demo-access-key-secret"
PASSWORD = "YouPassword123!"


# The Tea SDK's two signatures: "v2" (RPC, HMAC-SHA1) and its default when signature_algorithm is
# not set, V3 (ACS3-HMAC-SHA256 in an Authorization header).
ALGORITHMS = pytest.mark.parametrize("algorithm", ["v2", None], ids=["v2", "v3-default"])


def tea_client(access_key_id=DEMO_ID, secret=DEMO_SECRET, token=None, algorithm="v2"):
    settings = dict(
        access_key_id=access_key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=HOST,
        protocol="http",
        region_id="cn-hangzhou",
    )
    if algorithm is not None:
        settings["signature_algorithm"] = algorithm
    return KmsClient(open_api_models.Config(**settings))


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def assert_populated(model, path="body"):
    """Every field the SDK model declares is set (recursively), and lists are not empty."""
    assert model is not None, f"{path} is missing"
    for name, value in vars(model).items():
        if name.startswith("_"):
            continue
        where = f"{path}.{name}"
        assert value is not None, f"{where} is not populated"
        if isinstance(value, TeaModel):
            assert_populated(value, where)
        elif isinstance(value, list):
            assert value, f"{where} is an empty list"
            for index, item in enumerate(value):
                if isinstance(item, TeaModel):
                    assert_populated(item, f"{where}[{index}]")
                else:
                    assert item is not None and item != "", f"{where}[{index}] is empty"
        elif isinstance(value, str):
            assert value != "", f"{where} is an empty string"


@ALGORITHMS
def test_tea_sdk_calls_every_action_and_every_field_parses(algorithm):
    client = tea_client(algorithm=algorithm)
    rule = unique("rule")
    policy = unique("policy")
    aap = unique("aap")

    body = client.create_network_rule(kms_models.CreateNetworkRuleRequest(
        name=rule, type="Private", source_private_ip='["10.0.0.1","192.168.0.0/24"]', description="rule d")).body
    assert_populated(body)
    assert json.loads(body.source_private_ip) == ["10.0.0.1", "192.168.0.0/24"]
    body = client.describe_network_rule(kms_models.DescribeNetworkRuleRequest(name=rule)).body
    assert_populated(body)
    assert body.arn.endswith(f":network/{rule}") and body.type == "Private"
    assert_populated(client.update_network_rule(kms_models.UpdateNetworkRuleRequest(
        name=rule, source_private_ip='["10.0.0.2"]', description="rule e")).body)
    body = client.list_network_rules(kms_models.ListNetworkRulesRequest(page_number=1, page_size=100)).body
    assert_populated(body)
    assert rule in [item.name for item in body.network_rules.network_rule]

    permissions = ["RbacPermission/Template/CryptoServiceKeyUser", "RbacPermission/Template/CryptoServiceSecretUser"]
    resources = ["key/key-hzz63d9c8d3dfv8cv0000", "secret/*"]
    body = client.create_policy(kms_models.CreatePolicyRequest(
        name=policy, permissions=json.dumps(permissions), resources=json.dumps(resources),
        kms_instance="kst-hzz634e67d126u9p90000", access_control_rules=json.dumps({"NetworkRules": [rule]}),
        description="policy d")).body
    assert_populated(body)
    assert isinstance(body.permissions, str) and json.loads(body.permissions) == permissions
    body = client.describe_policy(kms_models.DescribePolicyRequest(name=policy)).body
    assert_populated(body)
    assert body.permissions == permissions and body.resources == resources
    assert json.loads(body.access_control_rules) == {"NetworkRules": [rule]}
    assert_populated(client.update_policy(kms_models.UpdatePolicyRequest(
        name=policy, permissions=json.dumps(permissions[:1]), resources='["key/*"]',
        access_control_rules='{"NetworkRules":[]}', description="policy e")).body)
    body = client.list_policies(kms_models.ListPoliciesRequest(page_number=1, page_size=100)).body
    assert_populated(body)
    assert policy in [item.name for item in body.policies.policy]

    body = client.create_application_access_point(kms_models.CreateApplicationAccessPointRequest(
        name=aap, policies=json.dumps([policy]), authentication_method="ClientKey", description="aap d")).body
    assert_populated(body)
    assert body.name == aap and json.loads(body.policies) == [policy]
    body = client.describe_application_access_point(kms_models.DescribeApplicationAccessPointRequest(name=aap)).body
    assert_populated(body)
    assert body.arn.endswith(f":applicationaccesspoint/{aap}")
    assert_populated(client.update_application_access_point(kms_models.UpdateApplicationAccessPointRequest(
        name=aap, policies=json.dumps([policy, "other"]), description="aap e")).body)
    body = client.list_application_access_points(kms_models.ListApplicationAccessPointsRequest(page_number=1, page_size=100)).body
    assert_populated(body)
    assert aap in [item.name for item in body.application_access_points.application_access_point]

    created = client.create_client_key(kms_models.CreateClientKeyRequest(
        aap_name=aap, password=PASSWORD, not_before="2023-09-01T14:11:22Z", not_after="2028-09-01T14:11:22Z")).body
    assert_populated(created)
    assert created.client_key_id.startswith("KAAP.") and created.key_algorithm == "RSA_2048"
    got = client.get_client_key(kms_models.GetClientKeyRequest(client_key_id=created.client_key_id)).body
    assert_populated(got)
    assert (got.aap_name, got.key_origin, got.not_before, got.not_after) == (aap, "KMS_PROVIDED", created.not_before, created.not_after)
    listed = client.list_client_keys(kms_models.ListClientKeysRequest(aap_name=aap)).body
    assert_populated(listed)
    assert [key.client_key_id for key in listed.client_keys] == [created.client_key_id]

    # The PKCS#12 opens with the password and holds an RSA-2048 key and the certificate that
    # GetClientKey returns as PublicKeyData.
    key, certificate, _ = pkcs12.load_key_and_certificates(base64.b64decode(created.private_key_data), PASSWORD.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert certificate.public_bytes(Encoding.PEM).decode() == got.public_key_data
    assert x509.load_pem_x509_certificate(got.public_key_data.encode()).public_key().public_numbers() == key.public_key().public_numbers()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(base64.b64decode(created.private_key_data), b"WrongPassword1!")

    assert_populated(client.delete_client_key(kms_models.DeleteClientKeyRequest(client_key_id=created.client_key_id)).body)
    assert_populated(client.delete_application_access_point(kms_models.DeleteApplicationAccessPointRequest(name=aap)).body)
    assert_populated(client.delete_policy(kms_models.DeletePolicyRequest(name=policy)).body)
    assert_populated(client.delete_network_rule(kms_models.DeleteNetworkRuleRequest(name=rule)).body)

    with pytest.raises(tea_exceptions.ClientException) as raised:
        client.describe_application_access_point(kms_models.DescribeApplicationAccessPointRequest(name=aap))
    assert (raised.value.status_code, raised.value.code) == (404, "Forbidden.ResourceNotFound")


@ALGORITHMS
def test_tea_sdk_with_an_sts_credential(algorithm):
    client = tea_client(os.environ["KMS_EMULATOR_STS_ID"], os.environ["KMS_EMULATOR_STS_SECRET"], os.environ["KMS_EMULATOR_STS_TOKEN"], algorithm)
    assert client.list_policies(kms_models.ListPoliciesRequest()).body.request_id
    wrong = tea_client(os.environ["KMS_EMULATOR_STS_ID"], os.environ["KMS_EMULATOR_STS_SECRET"], "not-the-token", algorithm)
    with pytest.raises(tea_exceptions.ClientException) as raised:
        wrong.list_policies(kms_models.ListPoliciesRequest())
    assert (raised.value.status_code, raised.value.code) == (400, "InvalidSecurityToken.MismatchWithAccessKey")


@ALGORITHMS
def test_tea_sdk_wrong_secret_gets_signature_does_not_match(algorithm):
    with pytest.raises(tea_exceptions.ClientException) as raised:
        tea_client(secret="wrong-secret", algorithm=algorithm).list_policies(kms_models.ListPoliciesRequest())
    assert (raised.value.status_code, raised.value.code) == (400, "SignatureDoesNotMatch")
    expected = "server string to sign is:POST&%2F&" if algorithm == "v2" else "server string to sign is:ACS3-HMAC-SHA256\n"
    assert expected in raised.value.message


@ALGORITHMS
def test_tea_sdk_unknown_access_key(algorithm):
    with pytest.raises(tea_exceptions.ClientException) as raised:
        tea_client(access_key_id="nobody", algorithm=algorithm).list_policies(kms_models.ListPoliciesRequest())
    assert (raised.value.status_code, raised.value.code) == (404, "InvalidAccessKeyId.NotFound")


@ALGORITHMS
def test_tea_sdk_old_timestamp_is_expired(monkeypatch, algorithm):
    monkeypatch.setattr(TeaUtils, "get_timestamp", staticmethod(lambda: "2020-01-01T00:00:00Z"))
    with pytest.raises(tea_exceptions.ClientException) as raised:
        tea_client(algorithm=algorithm).list_policies(kms_models.ListPoliciesRequest())
    assert (raised.value.status_code, raised.value.code) == (400, "InvalidTimeStamp.Expired")


@ALGORITHMS
def test_tea_sdk_reused_nonce_is_refused(monkeypatch, algorithm):
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(TeaUtils, "get_nonce", staticmethod(lambda: nonce))
    client = tea_client(algorithm=algorithm)
    client.list_policies(kms_models.ListPoliciesRequest())
    with pytest.raises(tea_exceptions.ClientException) as raised:
        client.list_policies(kms_models.ListPoliciesRequest())
    assert (raised.value.status_code, raised.value.code) == (400, "SignatureNonceUsed")


def core_client(secret=DEMO_SECRET):
    return AcsClient(DEMO_ID, secret, "cn-hangzhou", auto_retry=False)


def common_request(method, action, query=None, body=None):
    request = CommonRequest()
    request.set_domain(HOST)
    request.set_protocol_type("http")
    request.set_method(method)
    request.set_version("2016-01-20")
    request.set_action_name(action)
    request.set_accept_format("json")
    for key, value in (query or {}).items():
        request.add_query_param(key, value)
    for key, value in (body or {}).items():
        request.add_body_params(key, value)
    return request


def test_core_sdk_common_request_get_and_post():
    client = core_client()
    aap = unique("aap")
    created = json.loads(client.do_action_with_exception(common_request(
        "POST", "CreateApplicationAccessPoint", query={"Name": aap, "Policies": '["p1"]', "Description": "query params"})))
    assert created["Name"] == aap and "Code" not in created
    # POST with the action parameters in a form body, as tea-rpc does.
    key = json.loads(client.do_action_with_exception(common_request(
        "POST", "CreateClientKey", body={"AapName": aap, "Password": PASSWORD})))
    got = json.loads(client.do_action_with_exception(common_request("GET", "GetClientKey", query={"ClientKeyId": key["ClientKeyId"]})))
    assert got["AapName"] == aap
    listed = json.loads(client.do_action_with_exception(common_request("GET", "ListApplicationAccessPoints", query={"PageSize": "100"})))
    assert aap in [item["Name"] for item in listed["ApplicationAccessPoints"]["ApplicationAccessPoint"]]
    described = json.loads(client.do_action_with_exception(common_request(
        "POST", "DescribeApplicationAccessPoint", body={"Name": aap})))
    assert described["Description"] == "query params"


def test_core_sdk_wrong_secret_old_timestamp_and_reused_nonce(monkeypatch):
    with pytest.raises(CoreServerException) as raised:
        core_client("wrong-secret").do_action_with_exception(common_request("GET", "ListPolicies"))
    assert (raised.value.get_http_status(), raised.value.get_error_code()) == (400, "SignatureDoesNotMatch")

    with monkeypatch.context() as patched:
        patched.setattr(parameter_helper, "get_iso_8061_date", lambda: "2020-01-01T00:00:00Z")
        with pytest.raises(CoreServerException) as raised:
            core_client().do_action_with_exception(common_request("GET", "ListPolicies"))
        assert (raised.value.get_http_status(), raised.value.get_error_code()) == (400, "InvalidTimeStamp.Expired")

    nonce = uuid.uuid4().hex
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)
    client = core_client()
    client.do_action_with_exception(common_request("POST", "ListPolicies"))
    with pytest.raises(CoreServerException) as raised:
        client.do_action_with_exception(common_request("POST", "ListPolicies"))
    assert (raised.value.get_http_status(), raised.value.get_error_code()) == (400, "SignatureNonceUsed")
