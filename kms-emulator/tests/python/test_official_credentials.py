"""The official `alibabacloud-credentials` package gets temporary credentials from the emulator's
STS, instance metadata and credentials-URI stand-ins, and the official KMS SDK then signs with
them: proof that the stand-ins speak the protocol the real credential chain speaks.

Run by kms-emulator/tests/it/python_sdks.rs, which starts an emulator and passes in the environment:
KMS_EMULATOR_HOST (host:port), KMS_EMULATOR_ROLE_ARN (a role trusting the demo key, the OIDC
provider and the instance role), KMS_EMULATOR_OIDC_PROVIDER_ARN and KMS_EMULATOR_OIDC_ISSUER, and
KMS_EMULATOR_ECS_ROLE (the instance role; IMDSv2 is enforced).

The credential library always speaks https to STS and http to 100.100.100.200; the emulator
serves plain http on loopback, so the fixture below re-targets those two URLs, and nothing else
about the requests.
"""

import json
import time
import os
import urllib.request

import pytest
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_tea_openapi import models as open_api_models
from Tea.core import TeaCore

HOST = os.environ["KMS_EMULATOR_HOST"]
ROLE_ARN = os.environ["KMS_EMULATOR_ROLE_ARN"]
OIDC_PROVIDER_ARN = os.environ["KMS_EMULATOR_OIDC_PROVIDER_ARN"]
OIDC_ISSUER = os.environ["KMS_EMULATOR_OIDC_ISSUER"]
ECS_ROLE = os.environ["KMS_EMULATOR_ECS_ROLE"]
DEMO_ID = "demo-access-key-id"
DEMO_SECRET = "demo-access-key-secret"
METADATA_HOST = "http://100.100.100.200"


@pytest.fixture(autouse=True)
def route_to_the_emulator(monkeypatch):
    original = TeaCore.compose_url
    seen = []

    def compose_url(request):
        url = original(request)
        for prefix in (f"https://{HOST}", METADATA_HOST):
            if url.startswith(prefix):
                seen.append(url)
                return f"http://{HOST}" + url[len(prefix):]
        return url

    monkeypatch.setattr(TeaCore, "compose_url", staticmethod(compose_url))
    return seen


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{HOST}/__emulator{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def kms_with(credential_client, algorithm=None):
    settings = dict(credential=credential_client, endpoint=HOST, protocol="http", region_id="cn-hangzhou")
    if algorithm is not None:
        settings["signature_algorithm"] = algorithm
    return KmsClient(open_api_models.Config(**settings))


def issued_sessions():
    return [(item["role_arn"], item["session_name"], item["issued_by"]) for item in control("GET", "/sts/credentials")["credentials"]]


@pytest.mark.parametrize("algorithm", ["v2", None], ids=["kms-v2", "kms-v3-default"])
def test_ram_role_arn_from_the_sts_stand_in_then_kms(route_to_the_emulator, algorithm):
    credentials = CredentialClient(CredentialConfig(
        type="ram_role_arn",
        access_key_id=DEMO_ID,
        access_key_secret=DEMO_SECRET,
        role_arn=ROLE_ARN,
        role_session_name="oracle-ram",
        role_session_expiration=1800,
        policy='{"Version":"1","Statement":[{"Effect":"Allow","Action":["kms:*"],"Resource":["*"]}]}',
        sts_endpoint=HOST,
    ))
    credential = credentials.get_credential()
    assert credential.access_key_id.startswith("STS.")
    assert credential.security_token.startswith("CAIS")
    assert credential.type == "ram_role_arn"
    assert any(url.startswith(f"https://{HOST}") and "Action=AssumeRole" in url for url in route_to_the_emulator)
    assert (ROLE_ARN, "oracle-ram", "assume_role") in issued_sessions()
    assert kms_with(credentials, algorithm).list_policies(kms_models.ListPoliciesRequest()).body.request_id


def test_ram_role_arn_errors_surface_the_sts_code():
    credentials = CredentialClient(CredentialConfig(
        type="ram_role_arn",
        access_key_id=DEMO_ID,
        access_key_secret=DEMO_SECRET,
        role_arn=ROLE_ARN.rsplit("/", 1)[0] + "/no-such-role",
        role_session_name="oracle-ram",
        sts_endpoint=HOST,
    ))
    with pytest.raises(CredentialException) as raised:
        credentials.get_credential()
    assert "EntityNotExist.Role" in str(raised.value.message)
    wrong_secret = CredentialClient(CredentialConfig(
        type="ram_role_arn",
        access_key_id=DEMO_ID,
        access_key_secret="wrong-secret",
        role_arn=ROLE_ARN,
        role_session_name="oracle-ram",
        sts_endpoint=HOST,
    ))
    with pytest.raises(CredentialException) as raised:
        wrong_secret.get_credential()
    assert "SignatureDoesNotMatch" in str(raised.value.message)


def write_token(tmp_path, issuer):
    token = control("POST", "/sts/oidc-tokens", {"issuer": issuer, "subject": "system:serviceaccount:ci:oracle", "lifetime_seconds": 600})["token"]
    path = tmp_path / "oidc-token"
    path.write_text(token)
    return path


def test_oidc_role_arn_from_the_sts_stand_in_then_kms(tmp_path):
    token_file = write_token(tmp_path, OIDC_ISSUER)
    credentials = CredentialClient(CredentialConfig(
        type="oidc_role_arn",
        role_arn=ROLE_ARN,
        oidc_provider_arn=OIDC_PROVIDER_ARN,
        oidc_token_file_path=str(token_file),
        role_session_name="oracle-oidc",
        sts_endpoint=HOST,
    ))
    credential = credentials.get_credential()
    assert credential.access_key_id.startswith("STS.")
    assert (ROLE_ARN, "oracle-oidc", "assume_role_with_oidc") in issued_sessions()
    assert kms_with(credentials).list_policies(kms_models.ListPoliciesRequest()).body.request_id

    wrong_issuer = CredentialClient(CredentialConfig(
        type="oidc_role_arn",
        role_arn=ROLE_ARN,
        oidc_provider_arn=OIDC_PROVIDER_ARN,
        oidc_token_file_path=str(write_token(tmp_path, "https://issuer.elsewhere")),
        role_session_name="oracle-oidc",
        sts_endpoint=HOST,
    ))
    with pytest.raises(CredentialException) as raised:
        wrong_issuer.get_credential()
    assert "AuthenticationFail.OIDCToken.IssuerNotMatch" in str(raised.value.message)


def test_ecs_ram_role_from_the_metadata_stand_in_with_imdsv2_then_kms(route_to_the_emulator):
    before = control("GET", "/calls")["calls"]
    credentials = CredentialClient(CredentialConfig(type="ecs_ram_role", disable_imds_v1=True))
    credential = credentials.get_credential()
    assert credential.access_key_id.startswith("STS.")
    assert credential.type == "ecs_ram_role"
    after = control("GET", "/calls")["calls"]
    # The role name was discovered, and every metadata read carried an IMDSv2 token (the
    # emulator enforces it, so a token-less read would have failed).
    for name in ("MetadataToken", "MetadataRoleName", "MetadataRoleCredentials"):
        assert after[name] > before[name], name
    assert any(url == f"{METADATA_HOST}/latest/meta-data/ram/security-credentials/{ECS_ROLE}" for url in route_to_the_emulator)
    assert kms_with(credentials).list_policies(kms_models.ListPoliciesRequest()).body.request_id
    ecs_role_arn = ROLE_ARN.rsplit("/", 1)[0] + "/" + ECS_ROLE
    assert (ecs_role_arn, "ecs-instance", "instance_metadata") in issued_sessions()


def test_instance_role_credentials_chain_into_ram_role_arn():
    # ECS instance role as the base credential of an AssumeRole (the role trusts the instance role).
    from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider, RamRoleArnCredentialsProvider

    base = EcsRamRoleCredentialsProvider(disable_imds_v1=True, async_update_enabled=False)
    chained = RamRoleArnCredentialsProvider(
        credentials_provider=base,
        role_arn=ROLE_ARN,
        role_session_name="oracle-chain",
        sts_endpoint=HOST,
    )
    credential = chained.get_credentials()
    assert credential.get_access_key_id().startswith("STS.")
    assert (ROLE_ARN, "oracle-chain", "assume_role") in issued_sessions()


def test_credentials_uri_stand_in_then_kms():
    credentials = CredentialClient(CredentialConfig(type="credentials_uri", credentials_uri=f"http://{HOST}/credentials-uri"))
    credential = credentials.get_credential()
    assert credential.access_key_id.startswith("STS.")
    assert kms_with(credentials).list_policies(kms_models.ListPoliciesRequest()).body.request_id


def login_config(**changes):
    config = control("GET", "/logins")
    config.update(changes)
    return control("PUT", "/logins", config)


def test_cloud_sso_portal_stand_in_then_kms():
    # provider/cloud_sso.py: POST <portal>/cloud-credentials with the access token as a bearer.
    from alibabacloud_credentials.provider import CloudSSOCredentialsProvider

    login_config(cloud_sso_access_tokens=["sso-access-token"], cloud_sso_access_configurations=["ac-admin"])
    account = ROLE_ARN.split(":")[3]
    provider = CloudSSOCredentialsProvider(
        sign_in_url=f"http://{HOST}/login",
        account_id=account,
        access_config="ac-admin",
        access_token="sso-access-token",
        access_token_expire=int(time.time()) + 3600,
    )
    credential = provider.get_credentials()
    assert credential.get_access_key_id().startswith("STS.")
    assert (f"acs:ram::{account}:role/cloudsso-ac-admin", "cloudsso", "cloud_sso") in issued_sessions()
    assert kms_with(CredentialClient(provider=provider)).list_policies(kms_models.ListPoliciesRequest()).body.request_id

    refused = CloudSSOCredentialsProvider(
        sign_in_url=f"http://{HOST}",
        account_id=account,
        access_config="ac-admin",
        access_token="a-token-the-portal-never-issued",
        access_token_expire=int(time.time()) + 3600,
    )
    with pytest.raises(CredentialException) as raised:
        refused.get_credentials()
    assert "http_code: 401" in str(raised.value.message)
    assert "a-token-the-portal-never-issued" not in str(raised.value.message)


def test_oauth_stand_in_refreshes_rotates_and_exchanges_then_kms():
    # provider/oauth.py: POST /v1/token (refresh_token grant), then POST /v1/exchange.
    from alibabacloud_credentials.provider import OAuthCredentialsProvider

    login_config(oauth_refresh_tokens=["oauth-refresh-1"], oauth_access_tokens=[])
    updates = []
    provider = OAuthCredentialsProvider(
        client_id="4038181954557748008",
        sign_in_url=f"http://{HOST}",
        access_token=None,
        access_token_expire=0,
        refresh_token="oauth-refresh-1",
        token_update_callback=lambda *args: updates.append(args),
    )
    credential = provider.get_credentials()
    assert credential.get_access_key_id().startswith("STS.")
    assert kms_with(CredentialClient(provider=provider)).list_policies(kms_models.ListPoliciesRequest()).body.request_id
    (new_refresh, new_access, *_rest), = updates
    assert new_refresh != "oauth-refresh-1" and new_refresh.startswith("oauth-refresh-")
    assert new_access in control("GET", "/logins")["oauth_access_tokens"]
    # The old refresh token was replaced: using it again is refused.
    stale = OAuthCredentialsProvider(
        client_id="4038181954557748008", sign_in_url=f"http://{HOST}", refresh_token="oauth-refresh-1"
    )
    with pytest.raises(CredentialException) as raised:
        stale.get_credentials()
    assert "status code: 400" in str(raised.value.message)


def test_revoked_credentials_are_refused_before_their_expiration():
    credentials = CredentialClient(CredentialConfig(
        type="ram_role_arn",
        access_key_id=DEMO_ID,
        access_key_secret=DEMO_SECRET,
        role_arn=ROLE_ARN,
        role_session_name="oracle-revoked",
        sts_endpoint=HOST,
    ))
    credential = credentials.get_credential()
    kms = kms_with(credentials)
    assert kms.list_policies(kms_models.ListPoliciesRequest()).body.request_id
    assert control("POST", "/sts/credentials/revoke", {"access_key_id": credential.access_key_id}) == {"revoked": 1}
    with pytest.raises(Exception) as raised:
        kms.list_policies(kms_models.ListPoliciesRequest())
    assert "InvalidSecurityToken.Expired" in str(raised.value)
