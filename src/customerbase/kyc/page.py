"""The hosted KYC page: what a customer opens from the link, on a phone.

`GET /kyc/{token}` shows what the next tier needs and a form (BVN or NIN, date of birth when
none is on file, the terms of service); `POST /kyc/{token}` checks it like
`POST /v1/customers/{id}/kyc/upgrade` and shows the result, with the reasons of a refusal.
A link is used up by the submission that verifies; an expired, tampered, superseded or used
link shows a page that says so (never a stack trace). No script runs on these pages.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from customerbase.config import Settings
from customerbase.documents import service as documents
from customerbase.documents.storage import DocumentStorage
from customerbase.kit.actor import Actor, set_actor
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.edge import request_id_of
from customerbase.kit.errors import CustomerbaseError
from customerbase.kit.time import utcnow
from customerbase.kyc import hosted, links, service
from customerbase.kyc.schemas import KycUpgrade
from customerbase.models import Customer, KycLink
from customerbase.organizations.service import Tenant

logger = logging.getLogger("customerbase.kyc.page")

router = APIRouter(prefix="/kyc", include_in_schema=False)

# The page's form posts (for the body limit: they may carry two documents).
KYC_PAGE_PATHS = re.compile(r"/kyc/[^/]+")

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

TERMS = (
    "By continuing you agree that we verify your identity with the Bank Verification Number "
    "(BVN) or National Identification Number (NIN) you give, that we compare the record it "
    "names with your name, date of birth and phone number, and that we keep the result of "
    "that check as the law on customer due diligence requires."
)

_STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;
background:#f5f6f8}main{max-width:480px;margin:0 auto;padding:20px 16px}
h1{font-size:1.4rem;margin:.2em 0 .6em}.card{background:#fff;border-radius:12px;padding:16px;
margin:0 0 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}label{display:block;font-weight:600;
margin:12px 0 4px}input,select{width:100%;font-size:16px;padding:12px;border:1px solid #bbb;
border-radius:8px}input[type=checkbox]{width:auto;margin-right:8px}
button{width:100%;font-size:17px;padding:14px;margin-top:16px;border:0;border-radius:8px;
background:#0b5cff;color:#fff}ul{padding-left:20px}.verified{color:#0a7d33}
.failed,.error{color:#b00020}.missing,.pending{color:#8a5a00}.terms{font-size:.9rem}
"""


def html_page(title: str, body: str, *, status_code: int = 200) -> HTMLResponse:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status_code, headers=PAGE_HEADERS)


LINK_PAGES = {
    "invalid": (
        404,
        "This link is not valid",
        "The link is incomplete or has been changed. Open the link exactly as you received it,"
        " or ask for a new one.",
    ),
    "expired": (
        410,
        "This link has expired",
        "For your security, verification links expire. Ask for a new link to continue.",
    ),
    "used": (
        410,
        "This link has already been used",
        "Your details were submitted with this link. If you need to change them, ask for a new"
        " link.",
    ),
    "revoked": (
        410,
        "This link has been replaced",
        "A newer verification link was sent to you. Use the most recent one.",
    ),
}


def link_error_page(reason: str) -> HTMLResponse:
    status, title, text = LINK_PAGES[reason]
    return html_page(
        title,
        f'<div class=card id=link-error data-reason="{reason}"><h1>{escape(title)}</h1>'
        f"<p>{escape(text)}</p></div>",
        status_code=status,
    )


@dataclass(slots=True)
class Opened:
    link: KycLink
    customer: Customer
    tenant: Tenant


async def open_link(session: AsyncSession, vault: Vault, token: str) -> Opened:
    """The link and its customer; raises `links.LinkError` for a link that cannot be used."""
    now = utcnow()
    parsed = links.read_token(vault, token, now=now)
    link = await session.get(KycLink, parsed.link_id, with_for_update=True)
    if link is None or int(link.expires_at.timestamp()) != int(parsed.expires_at.timestamp()):
        raise links.LinkError("invalid")
    if link.used_at is not None:
        raise links.LinkError("used")
    if link.revoked_at is not None:
        raise links.LinkError("revoked")
    customer = await session.get(
        Customer, (link.organization_id, link.customer_id), with_for_update=True
    )
    if customer is None or customer.status != "active":
        raise links.LinkError("invalid")
    tenant = Tenant(link.organization_id, link.environment, uuid.UUID(int=0))
    return Opened(link, customer, tenant)


def _requirements_html(requirements: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li class={escape(r["status"])} data-field="{escape(r["field"])}">'
        f"{escape(r['description'])}: <strong>{escape(r['status'])}</strong>"
        + (f" ({escape(r['reason'])})" if r["reason"] and r["status"] != "missing" else "")
        + "</li>"
        for r in requirements
    )
    return f"<ul id=requirements>{items}</ul>"


ID_DOCUMENT_CHOICES = (
    ("passport", "International passport"),
    ("national_id", "National ID card"),
    ("drivers_license", "Driver's licence"),
    ("voters_card", "Voter's card"),
    ("nin_slip", "NIN slip"),
)
ADDRESS_DOCUMENT_CHOICES = (
    ("utility_bill", "Utility bill"),
    ("bank_statement", "Bank statement"),
)
ACCEPT = "image/jpeg,image/png,application/pdf"


def _select(name: str, choices: tuple[tuple[str, str], ...]) -> str:
    options = "".join(f"<option value={value}>{escape(label)}</option>" for value, label in choices)
    return f"<select id={name} name={name}>{options}</select>"


def _documents_html(next_tier: int) -> str:
    """The uploads the next tier needs: the ID document and a selfie (optional on the way to
    tier 1, when they are sent along for tier 2), or the proof of address."""
    if next_tier == 3:
        return (
            "<fieldset><legend>Proof of address</legend>"
            "<label for=proof_of_address_type>Document</label>"
            + _select("proof_of_address_type", ADDRESS_DOCUMENT_CHOICES)
            + f"<input id=proof_of_address name=proof_of_address type=file accept='{ACCEPT}'"
            " required></fieldset>"
        )
    required = " required" if next_tier == 2 else ""
    optional = "" if next_tier == 2 else " (optional now, needed for tier 2)"
    return (
        f"<fieldset><legend>ID document and selfie{optional}</legend>"
        "<label for=id_document_type>ID document</label>"
        + _select("id_document_type", ID_DOCUMENT_CHOICES)
        + f"<input id=id_document name=id_document type=file accept='{ACCEPT}'{required}>"
        "<label for=selfie>A selfie</label>"
        f"<input id=selfie name=selfie type=file accept='image/jpeg,image/png'"
        f" capture=user{required}></fieldset>"
    )


def _form_html(token: str, customer: Customer, overview: dict[str, Any], errors: list[str]) -> str:
    next_tier = overview["next_tier"]
    error_html = (
        "<div class='card error' id=errors role=alert><strong>We could not verify you:</strong>"
        "<ul>" + "".join(f"<li>{escape(e)}</li>" for e in errors) + "</ul></div>"
        if errors
        else ""
    )
    rejected = (
        "<div class='card error' id=rejection><strong>Your documents were not accepted:</strong>"
        "<ul>"
        + "".join(f"<li>{escape(r)}</li>" for r in overview["rejection_reasons"])
        + "</ul><p>Please send them again.</p></div>"
        if overview["kyc_status"] == "rejected" and overview["rejection_reasons"]
        else ""
    )
    identity = ""
    if next_tier == 1:
        dob = (
            "<label for=date_of_birth>Date of birth</label>"
            "<input id=date_of_birth name=date_of_birth type=date required>"
            if customer.date_of_birth_encrypted is None
            else ""
        )
        identity = (
            "<fieldset><legend>Identity number</legend>"
            "<label for=id_type>Type</label>"
            "<select id=id_type name=id_type><option value=bvn>BVN (Bank Verification Number)"
            "</option><option value=nin>NIN (National Identification Number)</option></select>"
            "<label for=id_number>Number (11 digits)</label>"
            "<input id=id_number name=id_number inputmode=numeric autocomplete=off"
            f" pattern='[0-9]{{11}}' maxlength=11 required>{dob}</fieldset>"
        )
    terms_checked = " checked" if customer.tos_status == "accepted" else ""
    return (
        f"{rejected}{error_html}<form class=card method=post action='/kyc/{escape(token)}'"
        f" enctype=multipart/form-data>{identity}{_documents_html(next_tier)}"
        f"<p class=terms><label><input type=checkbox id=accept_terms name=accept_terms"
        f" value=yes required{terms_checked}>I accept the"
        f" <a href='/kyc/{escape(token)}/terms'>terms of service</a></label></p>"
        "<button type=submit id=submit>Send</button></form>"
    )


def _reviewing(overview: dict[str, Any]) -> bool:
    """Everything the next tier needs is in and waits for review."""
    statuses = {r["status"] for r in overview["requirements"]}
    return overview["kyc_status"] == "pending" and statuses <= {"verified", "pending"}


def done_page(customer: Customer, *, reviewing: bool, status: int = 200) -> HTMLResponse:
    name = escape(customer.first_name or "there")
    review = (
        "<p id=reviewing>Your documents were received and are being reviewed.</p>"
        if reviewing
        else ""
    )
    body = (
        f"<div class=card id=done><h1>Thank you</h1><p>Hello {name}, your identity is verified"
        f" to tier <span id=tier>{customer.kyc_tier}</span>.</p>{review}</div>"
    )
    return html_page("Identity verification", body, status_code=status)


def render_form(
    token: str, customer: Customer, overview: dict[str, Any], errors: list[str], status: int = 200
) -> HTMLResponse:
    name = escape(customer.first_name or "there")
    if overview["next_tier"] is None:
        return done_page(customer, reviewing=False, status=status)
    if _reviewing(overview) and not errors:
        return done_page(customer, reviewing=True, status=status)
    body = (
        f"<h1>Verify your identity</h1><div class=card><p>Hello {name}. To reach tier"
        f" {overview['next_tier']} we need:</p>{_requirements_html(overview['requirements'])}"
        "</div>" + _form_html(token, customer, overview, errors)
    )
    return html_page("Verify your identity", body, status_code=status)


def _app_parts(request: Request) -> tuple[Database, Vault, Settings]:
    return request.app.state.database, request.app.state.vault, request.app.state.settings


@router.get("/{token}")
async def kyc_page(token: str, request: Request) -> Response:
    database, vault, _ = _app_parts(request)
    async with database.write_session() as session:
        try:
            opened = await open_link(session, vault, token)
        except links.LinkError as exc:
            return link_error_page(exc.reason)
        overview = await service.kyc_overview(session, opened.tenant, str(opened.customer.id))
        return render_form(token, opened.customer, overview, [])


def _client_of(request: Request) -> dict[str, str | None]:
    """Where the acceptance came from, for the consent ledger (never in events)."""
    return {
        "ip_address": request.client.host if request.client else None,
        "user_agent": request.headers.get("user-agent"),
    }


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class _Upload:
    label: str
    document_type: str
    filename: str | None
    content: bytes


async def _uploads(form: Any, next_tier: int) -> list[_Upload]:
    """The files the form carries (an empty file input sends an empty part: not a file)."""
    wanted = (
        [("proof_of_address", "Proof of address", _form_text(form, "proof_of_address_type"))]
        if next_tier == 3
        else [
            ("id_document", "ID document", _form_text(form, "id_document_type")),
            ("selfie", "Selfie", "selfie"),
        ]
    )
    found: list[_Upload] = []
    for field_name, label, document_type in wanted:
        part = form.get(field_name)
        if isinstance(part, UploadFile):
            content = await part.read()
            if content:
                found.append(_Upload(label, document_type or "other", part.filename, content))
    return found


def _identity_body(form: Any, errors: list[str]) -> KycUpgrade | None:
    id_type = _form_text(form, "id_type")
    if id_type not in ("bvn", "nin"):
        errors.append("Choose BVN or NIN")
        return None
    payload: dict[str, Any] = {"tier": 1, id_type: _form_text(form, "id_number")}
    dob = _form_text(form, "date_of_birth")
    if dob:
        payload["date_of_birth"] = dob
    try:
        return KycUpgrade.model_validate(payload)
    except ValidationError as exc:
        labels = {"bvn": "BVN", "nin": "NIN", "date_of_birth": "Date of birth"}
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else "form"
            message = error["msg"].removeprefix("Value error, ")
            errors.append(f"{labels.get(where, where)}: {message}")
        return None


@router.post("/{token}")
async def submit_kyc_page(token: str, request: Request) -> Response:
    database, vault, settings = _app_parts(request)
    storage: DocumentStorage = request.app.state.document_storage
    form = await request.form(max_files=4, max_fields=20, max_part_size=1024 * 1024)
    errors: list[str] = []
    async with database.write_session() as session:
        try:
            opened = await open_link(session, vault, token)
        except links.LinkError as exc:
            return link_error_page(exc.reason)
        customer, tenant = opened.customer, opened.tenant
        set_actor(Actor("customer", str(customer.id), request_id_of(request.scope)))
        overview = await service.kyc_overview(session, tenant, str(customer.id))
        next_tier = overview["next_tier"]
        if next_tier is None:
            return render_form(token, customer, overview, [])
        if _form_text(form, "accept_terms") != "yes" and customer.tos_status != "accepted":
            errors.append("Accept the terms of service to continue")
        body = _identity_body(form, errors) if next_tier == 1 else None
        uploads = await _uploads(form, next_tier)
        if next_tier > 1 and len(uploads) < (2 if next_tier == 2 else 1):
            errors.append(
                "Upload your proof of address"
                if next_tier == 3
                else "Upload your ID document and a selfie"
            )
        if errors:
            return render_form(token, customer, overview, errors, status=422)
        await hosted.accept_terms(session, vault, tenant, customer, **_client_of(request))
        if body is not None:
            try:
                outcome = await service.upgrade(
                    session, vault, settings, tenant, str(customer.id), body
                )
            except CustomerbaseError as exc:
                # A duplicate or blocked number, or the provider is down: say so; keep the terms.
                return render_form(token, customer, overview, [exc.message], status=422)
            if outcome.refused is not None:
                messages = [f.message for f in outcome.refused.fields]
                return render_form(token, customer, outcome.overview, messages, status=422)
        for upload in uploads:
            try:
                await documents.store_document(
                    session,
                    vault,
                    storage,
                    tenant,
                    customer.id,
                    document_type=upload.document_type,
                    filename=upload.filename,
                    content=upload.content,
                )
            except CustomerbaseError as exc:
                errors.append(f"{upload.label}: {exc.message}")
        if errors:
            overview = await service.kyc_overview(session, tenant, str(customer.id))
            return render_form(token, customer, overview, errors, status=422)
        if uploads:
            await service.submit(session, vault, tenant, customer)
        opened.link.used_at = utcnow()
        hosted.record_link_used(session, vault, tenant, customer)
        return done_page(customer, reviewing=bool(uploads))


@router.get("/{token}/terms")
async def terms_page(token: str, request: Request) -> Response:
    database, vault, _ = _app_parts(request)
    async with database.write_session() as session:
        try:
            opened = await open_link(session, vault, token)
        except links.LinkError as exc:
            return link_error_page(exc.reason)
        accepted = opened.customer.tos_status == "accepted"
    action = (
        "<p id=tos-status>You accepted these terms.</p>"
        if accepted
        else f"<form method=post action='/kyc/{escape(token)}/terms'>"
        "<button type=submit id=accept>I accept</button></form>"
    )
    return html_page(
        "Terms of service",
        f"<div class=card><h1>Terms of service</h1><p>{escape(TERMS)}</p>{action}"
        f"<p><a href='/kyc/{escape(token)}'>Back to verification</a></p></div>",
    )


@router.post("/{token}/terms")
async def accept_terms_page(token: str, request: Request) -> Response:
    database, vault, _ = _app_parts(request)
    async with database.write_session() as session:
        try:
            opened = await open_link(session, vault, token)
        except links.LinkError as exc:
            return link_error_page(exc.reason)
        set_actor(Actor("customer", str(opened.customer.id), request_id_of(request.scope)))
        await hosted.accept_terms(
            session, vault, opened.tenant, opened.customer, **_client_of(request)
        )
    return RedirectResponse(f"/kyc/{token}", status_code=303)
