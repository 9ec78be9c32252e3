"""No client input gets a 5xx from a dialect, and every answer is in the dialect's envelope:
Hypothesis sends bodies and query strings made of the dialect's own field names (and others)
with any JSON values, to every call of Bloc, Bitnob, Yativo and Advancly."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

EXAMPLES = 40

BLOC_FIELDS = [
    "email",
    "phone_number",
    "bvn",
    "first_name",
    "last_name",
    "customer_type",
    "country",
    "dial_code",
    "date_of_birth",
    "address",
    "metadata",
    "reference",
]
BITNOB_FIELDS = [
    "firstName",
    "lastName",
    "email",
    "phone",
    "countryCode",
    "customerType",
    "metadata",
    "reference",
    "blacklist",
    "reason",
]
YATIVO_FIELDS = [
    "customer_name",
    "customer_email",
    "customer_phone",
    "customer_country",
    "customer_type",
    "send_kyc_mail",
]
ADVANCLY_FIELDS = [
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "customer_unique_identifier",
    "next_of_kin_email",
    "next_of_kin_phone_number",
    "next_of_kin_country",
    "phone_number",
    "email",
    "bank_code",
    "bank_account_number",
    "address",
    "city",
    "country_code",
    "customer_onboarding_type",
    "partner_date_registered",
    "tax_identification_number",
    "create_wallet",
    "customer_documents",
    "company_name",
    "business_registration_number",
    "business_registration_date",
    "corporate_customer_people",
    "data",
]
LIST_PARAMS = [
    "page",
    "take",
    "per_page",
    "email",
    "phone",
    "status",
    "blacklist",
    "q",
    "created_from",
    "kyc_tier",
    "per_page",
    "customer_type",
    "from_date",
    "to_date",
    "customer_id",
    "phone_number",
    "identity_number",
    "page_size",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "ayo@example.com",
            "08012345678",
            "+233241234567",
            "Personal",
            "234",
            "00000000000",
            "1994-04-14",
            "",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def bodies(fields: list[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(fields) | st.text(max_size=12)
    return st.dictionaries(keys, json_values, max_size=7) | json_values


queries = st.dictionaries(
    st.sampled_from(LIST_PARAMS) | st.text(min_size=1, max_size=8),
    st.text(max_size=12) | st.integers().map(str),
    max_size=4,
)
keys = st.text(min_size=1, max_size=40).filter(lambda k: "/" not in k and k not in {".", ".."})

BLOC_KEYS = ["success", "data", "message"]
BITNOB_KEYS = ["status", "message", "data"]
YATIVO_KEYS = ["status", "status_code", "message", "data"]
ADVANCLY_KEYS = ["message", "status", "status_code", "data"]
# The value of the envelope's flag on success, per dialect (Yativo's is a word).
SUCCESS = {"success": True, "status": True}


def _check(response: httpx.Response, envelope: list[str]) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    flag = "success" if "success" in envelope else "status"
    yativo = envelope == YATIVO_KEYS
    if response.status_code < 400:
        assert body[flag] == ("success" if yativo else True), response.text
        return
    assert sorted(body) == sorted([*envelope, "error"]), response.text
    assert body[flag] == ("error" if yativo else False)
    if "status_code" in envelope:
        assert body["status_code"] == response.status_code
    assert body["data"] is None
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["error"]["type"], str)
    assert isinstance(body["error"]["fields"], list)
    if response.status_code in {400, 422} and body["error"]["type"] == "validation_error":
        assert body["error"]["fields"], response.text


@pytest.mark.parametrize("dialect", ["bloc", "bitnob", "yativo", "advancly"])
async def test_no_5xx_and_the_dialects_envelope_for_generated_requests(
    client: httpx.AsyncClient, dialect: str
) -> None:
    loop = asyncio.get_running_loop()
    if dialect == "bloc":
        base, fields, envelope = "/compat/bloc/v1", BLOC_FIELDS, BLOC_KEYS
        seed = {
            "email": "seed@example.com",
            "phone_number": "08012345678",
            "first_name": "Seed",
            "last_name": "Customer",
        }
    elif dialect == "bitnob":
        base, fields, envelope = "/compat/bitnob/api/v1", BITNOB_FIELDS, BITNOB_KEYS
        seed = {
            "email": "seed@example.com",
            "phone": "+2348012345678",
            "firstName": "Seed",
            "lastName": "Customer",
        }
    elif dialect == "yativo":
        base, fields, envelope = "/compat/yativo", YATIVO_FIELDS, YATIVO_KEYS
        seed = {
            "customer_name": "Seed Customer",
            "customer_email": "seed@example.com",
            "customer_phone": "+2348012345678",
            "send_kyc_mail": False,
        }
    else:
        base = "/compat/advancly/api/v2/client/customers"
        fields, envelope = ADVANCLY_FIELDS, ADVANCLY_KEYS
        seed = {
            "first_name": "Seed",
            "last_name": "Customer",
            "email": "seed@example.com",
            "phone_number": "+2348012345678",
        }
    if dialect == "yativo":
        created = await client.post(f"{base}/customer", json=seed)
        assert created.status_code == 200, created.text
        seeded = created.json()["data"]["id"]
        calls = [("POST", "/customer"), ("GET", "/customer"), ("GET", "/customer/{id}")]
    elif dialect == "advancly":
        created = await client.post(f"{base}/onboard_individual", json=seed)
        assert created.status_code == 201, created.text
        seeded = created.json()["borrower_id"]
        calls = [
            ("POST", "/onboard_individual"),
            ("POST", "/onboard_corporate"),
            ("GET", ""),
            ("POST", "/data/orders?email=seed@example.com"),
            ("POST", "/data/stock?phone_number=%2B2348012345678"),
            ("POST", "/data/orders?identity_number={id}"),
        ]
    else:
        created = await client.post(f"{base}/customers", json=seed)
        assert created.status_code == 201, created.text
        seeded = created.json()["data"]["id"]
        calls = [
            ("POST", "/customers"),
            ("PUT", "/customers/{id}"),
            ("GET", "/customers"),
            ("GET", "/customers/{id}"),
        ]
    if dialect == "bloc":
        calls += [("PUT", "/customers/{id}/archive"), ("POST", "/customers/unarchive/{id}")]
    elif dialect == "bitnob":
        calls += [("POST", "/customers/{id}/blacklist")]

    def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        coroutine = client.request(method, base + path, **kwargs)
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES * len(calls),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(data: st.DataObject) -> None:
        method, template = data.draw(st.sampled_from(calls), label="call")
        key = seeded if data.draw(st.booleans(), label="seeded") else data.draw(keys, label="key")
        path = template.format(id=quote(key, safe=""))
        if method == "GET" and template in {"/customers", "/customer", ""}:
            _check(send(method, path, params=data.draw(queries, label="query")), envelope)
        elif method == "GET":
            _check(send(method, path), envelope)
        else:
            body = data.draw(bodies(fields), label="body")
            # json.dumps writes NaN, as some clients do: the API must refuse it, not fail.
            content = json.dumps(body)
            headers = {"content-type": "application/json"}
            _check(send(method, path, content=content, headers=headers), envelope)

    await asyncio.to_thread(check)
