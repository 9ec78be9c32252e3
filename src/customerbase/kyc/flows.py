"""KYC work with side effects beyond the database: issue a link, then mail it once the
transaction that issued it has committed (mail is never sent from inside a transaction)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from customerbase.config import Settings
from customerbase.customers.serializers import customer_to_dict
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.time import isoformat
from customerbase.kyc import hosted, mail
from customerbase.organizations.service import Tenant


async def issue_and_mail(
    request: Request,
    tenant: Tenant,
    customer_id: str,
    *,
    send_kyc_mail: bool,
    expires_in: int | None = None,
) -> dict[str, Any]:
    """Issue a link (one transaction), then mail it once that has committed."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    settings: Settings = request.app.state.settings
    async with database.write_session() as session:
        issued = await hosted.issue_link(
            session,
            vault,
            settings,
            tenant,
            customer_id,
            base_url=str(request.base_url),
            expires_in=expires_in,
        )
        customer = customer_to_dict(issued.customer, vault)
    mail_status = "not_requested"
    if send_kyc_mail:
        if issued.customer.email:
            message = mail.kyc_message(
                settings,
                to=issued.customer.email,
                name=issued.customer.first_name or issued.customer.company_name,
                url=issued.url,
                expires=isoformat(issued.expires_at) or "",
            )
            mail_status = await mail.send(settings, message)
        else:
            mail_status = "failed"
    return {
        "kyc_link": issued.url,
        "tos_link": issued.tos_url,
        "expires_at": isoformat(issued.expires_at),
        "mail_status": mail_status,
        "customer": customer,
    }
