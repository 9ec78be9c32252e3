"""Documents: the files a customer (or one of a business customer's people) hands over,
checked by their bytes, encrypted at rest, streamed back.

HTTP: `/v1/customers/{id}/documents` (upload as multipart `file` + `document_type`, or JSON
with base64; list; get; `/{doc_id}/download`; delete; `/{doc_id}/review`), and Advancly's
`customer_documents` inline on `POST /v1/customers`.

Service API for other domains (KYC): import `customerbase.documents.service` and call, inside
a request's write session (`Database.write_session()` / `WriteSessionDep`: its rollback
removes the files of rows that never commit, its commit removes the files of deleted rows):

    from customerbase.documents import service as documents
    from customerbase.documents.endpoints import DocumentStorageDep   # app.state.document_storage

    document = await documents.store_document(
        session, vault, storage, tenant, customer_id,
        person_id=None,                     # a business's person (onboarding's people)
        document_type="selfie",             # DocumentType or its value / an accepted alias
        filename="selfie.jpg",              # or None
        content=jpeg_bytes,                 # PDF, JPEG or PNG, recognised by its bytes
    )                                       # -> models.Document, status "pending_review"
    # (or in steps: prepare_document / prepare_upload -> stage (the file, before any lock)
    #  -> customer_for_change -> add_staged (the row and its event))
    await documents.list_documents(                   # -> [Document], oldest first
        session, tenant, customer_id,
        document_type=DocumentType.passport, status=DocumentStatus.verified, person_id=None,
    )
    await documents.get_document(session, tenant, customer_id, document_id)       # or 404
    await documents.set_review(                        # "verified", "rejected", "pending_review"
        session, tenant, customer_id, document_id, status="rejected", reasons=["blurred"],
    )
    await documents.delete_document(session, storage, tenant, customer_id, document_id)
    async for chunk in documents.open_document(vault, storage, document): ...  # 64 KiB plaintext
    data = await documents.read_document(vault, storage, document)             # whole plaintext
    documents.document_to_dict(document, vault)  # the API object; event_object(): no filename

Errors: `CustomerNotFound` (404 customer_not_found), `DocumentNotFound` (404
document_not_found), `CustomerStateConflict` (409 customer_archived / customer_deleted),
`DocumentTooLarge` (413 document_too_large), `UnsupportedDocumentType` (415
unsupported_document_type), `ValidationFailed` (422 naming the field). Events (with the audit
entry, in the same transaction): `document.created`, `document.reviewed` (with `changes`),
`document.deleted`; their object never carries the file name.

Types (`schemas.DocumentType`): passport, national_id, drivers_license, voters_card, nin_slip,
utility_bill, bank_statement, cac_certificate, memart, selfie, other. Status
(`schemas.DocumentStatus`): pending_review | verified | rejected (with `review_reasons`).
`schemas.GOVERNMENT_ID_TYPES` (passport, national_id, drivers_license, voters_card, nin_slip)
and `schemas.PROOF_OF_ADDRESS_TYPES` (utility_bill, bank_statement) are what KYC tiers ask for.

At rest (`sealing`): AES-256-GCM with a random data key per document, wrapped by the master key
(`Vault.wrap_key`), sealed in 64 KiB chunks (counter nonces, a last-chunk flag), in the object
store (`storage`: local files under `<data_dir>/documents`, or S3 by URL in
CUSTOMERBASE_DOCUMENT_STORE). Erasure of a customer deletes its documents
(`erase_customer_documents`).
"""
