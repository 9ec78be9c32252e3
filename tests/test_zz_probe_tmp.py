import httpx
from tests import factories

async def test_probe(client: httpx.AsyncClient, backend: str) -> None:
    r = await client.post("/v1/customers", json=factories.individual(reference="r1"))
    cid = r.json()["data"]["id"]
    out = []
    reqs = [
        ("GET", "/v1/customers/a%00b", None, None),
        ("GET", "/v1/customers", {"q": "a\x00b"}, None),
        ("GET", "/v1/customers", {"email": "a\x00b"}, None),
        ("GET", "/v1/customers", {"reference": "a\x00b"}, None),
        ("GET", "/v1/customers", {"phone_number": "a\x00b"}, None),
        ("GET", "/v1/customers", {"starting_after": "a\x00b"}, None),
        ("PATCH", f"/v1/customers/{cid}", None, {"middle_name": "a\x00b"}),
        ("PATCH", f"/v1/customers/{cid}", None, {"reference": "a\x00b"}),
        ("PATCH", f"/v1/customers/{cid}", None, {"metadata": {"k\x00": "v\x00"}}),
        ("PATCH", f"/v1/customers/{cid}", None, {"address": {"city": "x\x00"}}),
        ("POST", f"/v1/customers/{cid}/blacklist", None, {"blacklist": True, "reason": "x\x00"}),
        ("POST", "/v1/customers", None, factories.individual(first_name="A\x00")),
        ("POST", "/v1/customers", None, factories.individual(reference="A\x00")),
        ("POST", "/v1/customers", None, factories.individual(metadata={"a": 10**30})),
        ("PATCH", f"/v1/customers/{cid}", None, {"metadata": {"big": 10**30}}),
        ("GET", "/v1/customers", {"created_from": "9999-12-31T23:59:59.999999-14:00"}, None),
        ("GET", "/v1/customers", {"created_to": "9999-12-31"}, None),
        ("GET", "/v1/customers", {"created_to": "0001-01-01T00:00:00+14:00"}, None),
        ("GET", "/v1/customers", {"created_from": "0001-01-01"}, None),
        ("GET", "/v1/customers", {"page": "1000000", "take": "100"}, None),
        ("GET", "/v1/customers", {"ending_before": "00000000-0000-0000-0000-000000000000"}, None),
        ("GET", f"/v1/customers/{'x'*10000}", None, None),
        ("PATCH", f"/v1/customers/{cid}", None, {"metadata": {"f": float("1e308")}}),
    ]
    for m, url, params, body in reqs:
        try:
            resp = await client.request(m, url, params=params, json=body)
            out.append(f"{backend} {m} {url[:60]} {params} {str(body)[:80]} -> {resp.status_code} {resp.text[:150]}")
        except Exception as e:
            out.append(f"{backend} {m} {url[:60]} {params} {str(body)[:80]} -> EXC {e!r}")
    print("\n".join(out))
