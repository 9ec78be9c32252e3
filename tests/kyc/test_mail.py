"""The KYC link by email: through a real SMTP server (aiosmtpd), or into the development
outbox; on create (`send_kyc_mail: true`) and on the link call."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from customerbase.kit.db import Database
from tests.conftest import Org
from tests.kyc.conftest import Inbox, client_with, free_port, settings_with
from tests.kyc.support import AYO


async def test_create_with_send_kyc_mail_emails_the_link_over_smtp(
    database: Database, org: Org, tmp_path: Path, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = settings_with(
        tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        mail_from="Acme KYC <kyc@acme.example>",
        public_url="https://kyc.acme.example",
    )
    async with client_with(settings, database, org) as client:
        response = await client.post("/v1/customers", json={**AYO, "send_kyc_mail": True})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["message"] == "Customer created successfully; the KYC link was emailed"
        customer = body["data"]
        assert customer["kyc_link"].startswith("https://kyc.acme.example/kyc/")
        async with asyncio.timeout(10):
            await inbox.arrived.wait()
        [(recipients, message)] = inbox.messages
        assert recipients == ["ayo@example.com"]
        assert message["To"] == "ayo@example.com"
        assert message["From"] == "Acme KYC <kyc@acme.example>"
        assert message["Subject"] == "Complete your identity verification"
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        content = text.get_content()
        assert customer["kyc_link"] in content
        assert content.startswith("Hello Ayọ̀,")
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        assert f'href="{customer["kyc_link"]}"' in html.get_content()
        # The emailed link opens the page.
        page = await client.get(customer["kyc_link"].removeprefix("https://kyc.acme.example"))
        assert page.status_code == 200
        assert "Verify your identity" in page.text


async def test_the_link_call_with_send_kyc_mail_writes_the_outbox_in_development(
    database: Database, org: Org, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with client_with(settings_with(data), database, org) as client:
        customer = (await client.post("/v1/customers", json=AYO)).json()["data"]
        response = await client.post(
            f"/v1/customers/{customer['id']}/kyc/link", json={"send_kyc_mail": True}
        )
        assert response.status_code == 201, response.text
        link = response.json()["data"]
        assert link["mail_status"] == "written"
    [written] = list((data / "outbox").glob("*.eml"))
    assert written.stat().st_mode & 0o777 == 0o600
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "ayo@example.com"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert link["kyc_link"] in text.get_content()


async def test_an_unreachable_smtp_server_still_answers_with_the_link(
    database: Database, org: Org, tmp_path: Path
) -> None:
    settings = settings_with(
        tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_tls="none",
        smtp_timeout_seconds=2,
    )
    async with client_with(settings, database, org) as client:
        customer = (await client.post("/v1/customers", json=AYO)).json()["data"]
        response = await client.post(
            f"/v1/customers/{customer['id']}/kyc/link", json={"send_kyc_mail": True}
        )
        assert response.status_code == 201
        assert response.json()["data"]["mail_status"] == "failed"
        assert response.json()["data"]["kyc_link"]


async def test_without_send_kyc_mail_nothing_is_sent(
    client: httpx.AsyncClient, settings: object
) -> None:
    customer = (await client.post("/v1/customers", json=AYO)).json()
    assert customer["message"] == "Customer created successfully"
    assert customer["data"]["kyc_link"] is None
