"""The Digisign activities: every call the signing workflow makes to Digisign.

One class, built once by the worker with its dependencies (STYLE.md 3): the
Digisign client and the blob store. Photos and PDFs are read from and written to the
blob store here, inside the activity, so their bytes never enter history.

Cost-bearing calls are never repeated blindly:

- `register` may be retried after a network failure because Digisign deduplicates
  registrations itself: the same e-mail and NIK answer `00` "already registered"
  without a new identity check.
- `send_document` checks whether the document already reached Digisign before any
  repeated send (a retried attempt, or a send after an unknown outcome): if it did,
  the send is done and nobody pays twice.
"""

from __future__ import annotations

from temporalio import activity

from activities.blobs import BlobStore
from activities.errors import translate_errors
from activities.models import (
    ActivationLinkInput,
    ActivationLinkResult,
    ContactChangeInput,
    DownloadInput,
    RegisterInput,
    RegisterResult,
    SendInput,
    SendResult,
    SignedDocument,
    SignLinkInput,
    SignLinkResult,
)
from digisign import errors as e
from digisign.client import DigisignClient
from digisign.requests import (
    ActivationLinkRequest,
    DownloadBase64Request,
    DownloadRequest,
    RegisterRequest,
    SendDocumentRequest,
    SignLinkRequest,
    UpdateContactRequest,
)
from digisign.results import DownloadedDocument, pdf_from_bytes

SIGNED_DOCUMENTS_PREFIX = "signed"


class DocumentUnchanged(Exception):
    """Digisign returned the uploaded PDF unchanged: the signatures are not in it yet."""


class DigisignActivities:
    """Digisign calls for the signing workflow.

    Args:
        client: the Digisign client (production, UAT or the sandbox).
        blobs: where photos and PDFs are read and signed PDFs written.
    """

    def __init__(self, client: DigisignClient, blobs: BlobStore) -> None:
        self._client = client
        self._blobs = blobs

    @activity.defn(name="digisign.register")
    @translate_errors
    async def register(self, data: RegisterInput) -> RegisterResult:
        """Register a signer: identity check at the civil registry (charged when new).

        Returns:
            The kind of registration (new, pre-registered, already active,
            re-registered) and the activation deadline.
        """
        person = data.registrant
        request = RegisterRequest(
            name=person.name,
            gender=person.gender,
            phone=person.phone,
            birth_date=person.birth_date,
            birth_place=person.birth_place,
            nik=person.nik,
            email=person.email,
            ktp_photo=await self._blobs.get(person.ktp_photo),
            selfie=await self._blobs.get(person.selfie),
            signature=(
                await self._blobs.get(person.signature_image) if person.signature_image else None
            ),
        )
        registration = await self._client.register(request)
        return RegisterResult(
            kind=registration.kind,
            kode_user=registration.kode_user,
            expired_aktifasi=registration.expired_aktifasi,
        )

    @activity.defn(name="digisign.activation_link")
    @translate_errors
    async def activation_link(self, data: ActivationLinkInput) -> ActivationLinkResult:
        """Get a fresh activation link; `already_active` when Digisign answers `14`.

        A `14` here is good news the redirect may have lost: the signer activated.
        """
        try:
            link = await self._client.activation_link(ActivationLinkRequest(email_user=data.email))
        except e.AlreadyActivated:
            return ActivationLinkResult(already_active=True)
        return ActivationLinkResult(link=link.link)

    @activity.defn(name="digisign.change_contact")
    @translate_errors
    async def change_contact(self, data: ContactChangeInput) -> None:
        """Correct a not-yet-activated signer's e-mail and/or phone (UPDATE-EP)."""
        await self._client.update_contact(
            UpdateContactRequest(
                email_lama=data.old_email,
                email_baru=data.new_email,
                nohp_lama=data.old_phone,
                nohp_baru=data.new_phone,
            )
        )

    @activity.defn(name="digisign.send_document")
    @translate_errors
    async def send_document(self, data: SendInput) -> SendResult:
        """Send the document for signing, at most once (charged per document).

        Before a repeated send (this activity's retry, or the workflow's retry after
        an unknown outcome) the document is looked up at Digisign; found means sent.
        A `17` (document id in use) on a repeated send also means sent.
        """
        repeated = data.reconcile or activity.info().attempt > 1
        if repeated and await self._document_exists(data.document_id):
            return SendResult(already_there=True)
        request = SendDocumentRequest(
            document_id=data.document_id,
            pdf=await self._blobs.get(data.document),
            sequence_option=data.sequence_option,
            req_sign=data.req_sign,
            send_to=data.send_to,
            meterai_positions=data.meterai_positions,
            document_type=data.document_type,
            payment=data.payment,
            branch=data.branch,
        )
        try:
            sent = await self._client.send_document(request)
        except e.DocumentIdInUse:
            if repeated:
                return SendResult(already_there=True)
            raise
        return SendResult(ref_trx=sent.ref_trx)

    @activity.defn(name="digisign.sign_link")
    @translate_errors
    async def sign_link(self, data: SignLinkInput) -> SignLinkResult:
        """Get a fresh sign link; `already_signed` when Digisign says the signer signed.

        "user telah menandatangani dokumen ini" is good news a lost redirect hid.
        """
        try:
            link = await self._client.sign_link(
                SignLinkRequest(document_id=data.document_id, email_user=data.email)
            )
        except e.NotFound as exc:
            if exc.reason is e.NotFoundReason.ALREADY_SIGNED:
                return SignLinkResult(already_signed=True)
            raise
        return SignLinkResult(link=link.link)

    @activity.defn(name="digisign.download_signed")
    @translate_errors
    async def download_signed(self, data: DownloadInput) -> SignedDocument:
        """Download the signed PDF into the blob store; its bytes never enter history.

        The base64 endpoint first, the raw endpoint if that fails for any reason but
        `91`. The result must be a PDF and must differ from the upload.
        """
        try:
            document = await self._client.download_base64(
                DownloadBase64Request(document_id=data.document_id)
            )
        except e.RetryLater:
            raise
        except e.DigisignError:
            activity.logger.info("base64 download failed; trying the raw endpoint")
            document = await self._client.download(DownloadRequest(document_id=data.document_id))
        original = pdf_from_bytes(
            DownloadRequest.endpoint, await self._blobs.get(data.original)
        ).sha256
        if document.sha256 == original:
            raise DocumentUnchanged("Digisign returned the unsigned upload; retrying")
        ref = await self._store(data.document_id, document)
        return SignedDocument(ref=ref, sha256=document.sha256, size=document.size)

    async def _document_exists(self, document_id: str) -> bool:
        try:
            await self._client.download_base64(DownloadBase64Request(document_id=document_id))
        except e.NotFound:
            return False
        except e.HttpStatusError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    async def _store(self, document_id: str, document: DownloadedDocument) -> str:
        key = f"{SIGNED_DOCUMENTS_PREFIX}/{document_id}.pdf"
        return await self._blobs.put(key, document.content, content_type="application/pdf")
