"""End to end: `customerbase init` and `customerbase serve` as a newcomer runs them, real HTTP,
and a crash (kill -9) that must not lose an acknowledged write."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli_support import Server, cli_env, init_keys

pytestmark = pytest.mark.e2e


async def test_real_server_serves_customers_and_keeps_acknowledged_writes_across_kill_9(
    tmp_path: Path, backend: str, database_url: str
) -> None:
    env = cli_env(tmp_path / "data", database_url if backend == "postgresql" else None)
    # SQLite: nothing but the data folder, as `make serve` runs it (development secret included).
    log = tmp_path / "server.log"

    keys = await init_keys(env)
    assert keys["test_secret_key"].startswith("sk_test_")
    if backend == "sqlite":
        assert (tmp_path / "data" / "customerbase.db").exists()
    auth = {"Authorization": f"Bearer {keys['test_secret_key']}"}

    email = "adaeze.okafor@example.com"
    bvn, nin, dob = "22156789012", "31298765401", "1990-06-15"
    payload = {
        "customer_type": "individual",
        "first_name": "Adaeze",
        "last_name": "Okafor",
        "email": email,
        "phone_number": "08031234567",
        "country": "NG",
        "bvn": bvn,
        "nin": nin,
        "date_of_birth": dob,
        "reference": "usr_e2e_1",
    }

    server = Server(env, log)
    try:
        await server.start()
        # Development mode: the field-encryption secret is generated once into the data folder.
        assert (tmp_path / "data" / "secret.key").exists()
        async with httpx.AsyncClient(base_url=server.base_url, headers=auth, timeout=10) as http:
            created = await http.post(
                "/v1/customers", json=payload, headers={"X-Request-ID": "e2e-create-1"}
            )
            assert created.status_code == 201, created.text
            assert created.headers["X-Request-ID"] == "e2e-create-1"
            customer = created.json()["data"]
            customer_id = customer["id"]
            assert customer["email"] == email
            assert customer["phone_number"] == "+2348031234567"
            assert customer["bvn"] == "*******9012"
            assert customer["date_of_birth"] == "1990-**-**"

            by_id = await http.get(f"/v1/customers/{customer_id}")
            assert by_id.status_code == 200
            assert by_id.json()["data"] == customer
            assert by_id.headers["X-Request-ID"]
            assert by_id.headers["X-Request-ID"] != "e2e-create-1"

            by_email = await http.get(f"/v1/customers/{email}")
            assert by_email.status_code == 200
            assert by_email.json()["data"]["id"] == customer_id

            listed = await http.get("/v1/customers", params={"email": email})
            assert listed.status_code == 200
            body = listed.json()
            assert [c["id"] for c in body["data"]] == [customer_id]
            assert body["meta"]["item_count"] == 1
            assert listed.headers["X-Request-ID"]

        # The write was acknowledged: a crash right now must not lose it.
        await server.kill()
        assert server.process is not None
        assert server.process.returncode == -9
        if backend == "sqlite":
            # No clean shutdown: the write is still in the WAL, for recovery to replay.
            assert (tmp_path / "data" / "customerbase.db-wal").stat().st_size > 0
    finally:
        await server.stop()

    restarted = Server(env, log)
    try:
        await restarted.start()
        async with httpx.AsyncClient(base_url=restarted.base_url, headers=auth, timeout=10) as http:
            again = await http.get(f"/v1/customers/{customer_id}")
            assert again.status_code == 200, again.text
            assert again.json()["data"] == customer  # decrypts with the same secret
            duplicate = await http.post("/v1/customers", json=payload)
            assert duplicate.status_code == 409
            assert duplicate.json()["error"]["existing_customer_id"] == customer_id
    finally:
        await restarted.stop()

    output = server.output
    # The access log names route templates, never the raw paths and queries.
    assert "GET /v1/customers/{key} 200" in output
    assert "POST /v1/customers 201" in output
    for secret in (email, bvn, nin, dob, "+2348031234567", "Okafor", keys["test_secret_key"]):
        assert secret not in output, f"{secret!r} reached the server log"
