"""The async Digisign client: one class over one shared `httpx.AsyncClient`.

Written the way httpx itself is: configuration is a value object, the HTTP client
is injectable (tests pass `httpx.AsyncClient(transport=httpx.MockTransport(...))`,
integration tests point `base_url` at the sandbox), and there are no globals.

Every call:

1. serialises an already-validated request model to Digisign's multipart shape
   (`jsonfield` = `{"JSONFile": {...}}` plus file parts) with the bearer token;
2. waits at most the endpoint's timeout (95 s for register and send, 30 s else);
3. reads the answer defensively (`digisign.envelope`) and turns any result code
   other than `00` into the exception the catalogue names (`digisign.catalogue`);
4. returns a typed result (`digisign.results`).

It never retries: whether to retry a cost-bearing call is the caller's decision,
made from the typed error (see `digisign.errors`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx

from digisign.catalogue import raise_for
from digisign.endpoints import Endpoint
from digisign.envelope import Envelope, read_envelope
from digisign.errors import HttpStatusError, TransportError, UnexpectedResponse
from digisign.requests import (
    ActivationLinkRequest,
    DigisignRequest,
    DownloadBase64Request,
    DownloadRequest,
    RegisterRequest,
    SendDocumentRequest,
    SignLinkRequest,
    UpdateContactRequest,
)
from digisign.results import (
    ActivationLink,
    ContactUpdated,
    DocumentSent,
    DownloadedDocument,
    Registration,
    SignLink,
    link_from,
    pdf_from_base64,
    pdf_from_bytes,
    registration_from,
)

PRODUCTION_URL = "https://api.tandatanganku.com"

logger = logging.getLogger("digisign.client")

CallObserver = Callable[[Endpoint, str, float], None]
"""Called after every call with the endpoint, an outcome label (the result code,
`"transport_error"`, `"unexpected_response"` or `"http_<status>"`) and the
seconds it took. For metrics; it must not raise."""


@dataclass(frozen=True)
class DigisignConfig:
    """Where and as whom to call Digisign.

    Attributes:
        base_url: production (`PRODUCTION_URL`), UAT, or the local sandbox.
        token: the partner's bearer token. Kept out of `repr`.
        userid: the partner's admin e-mail, sent as `userid` in every request.
    """

    base_url: str
    token: str = field(repr=False)
    userid: str

    def url(self, endpoint: Endpoint) -> str:
        """The full URL of `endpoint` under `base_url`."""
        return self.base_url.rstrip("/") + endpoint.path


class DigisignClient:
    """Typed async access to the seven Digisign EXT-AT 3.0.4 APIs.

    Args:
        config: base URL, token and admin userid.
        http: the shared HTTP client. When omitted the client makes its own and
            closes it in `aclose`; when given, the caller owns and closes it.
        observer: optional callback for metrics (see `CallObserver`).

    Example:
        async with DigisignClient(config) as digisign:
            registration = await digisign.register(request)
    """

    def __init__(
        self,
        config: DigisignConfig,
        *,
        http: httpx.AsyncClient | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self._config = config
        self._owns_http = http is None
        # TLS verification stays on: the redirect key and the token ride on this channel.
        self._http = http if http is not None else httpx.AsyncClient()
        self._observer = observer

    def __repr__(self) -> str:
        return f"DigisignClient(base_url={self._config.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this instance created it."""
        if self._owns_http:
            await self._http.aclose()

    # --- the seven APIs ---------------------------------------------------------------

    async def register(self, request: RegisterRequest) -> Registration:
        """Register a signer (REG-MITRA): identity check at the civil registry (charged).

        Returns:
            The registration, whose `kind` says whether activation is still needed.

        Raises:
            digisign.errors.DigisignError: a subclass per the catalogue, e.g.
                `RetryLater`, `VerificationFailed`, `AlreadyRegisteredElsewhere`.
        """
        return registration_from(await self._call_json(request))

    async def activation_link(self, request: ActivationLinkRequest) -> ActivationLink:
        """Get a fresh single-use activation page link (genACTPage), valid 7 minutes.

        Raises:
            digisign.errors.AlreadyActivated: the account is already active.
            digisign.errors.DigisignError: other failures per the catalogue.
        """
        envelope = await self._call_json(request)
        return ActivationLink(link=link_from(request.endpoint, envelope))

    async def send_document(self, request: SendDocumentRequest) -> DocumentSent:
        """Send a document for signing (SendDocMitraAT); charged per document.

        Raises:
            digisign.errors.DocumentIdInUse: the id was used (on our own retry: done).
            digisign.errors.CertificateInvalid: a signer must re-register first.
            digisign.errors.DigisignError: other failures per the catalogue.
        """
        envelope = await self._call_json(request)
        return DocumentSent(notif=envelope.notif, ref_trx=envelope.ref_trx)

    async def sign_link(self, request: SignLinkRequest) -> SignLink:
        """Get a fresh single-use signing page link (genSignPage), valid 20 minutes.

        Raises:
            digisign.errors.NotFound: with `reason` (e.g. not yet their turn).
            digisign.errors.DigisignError: other failures per the catalogue.
        """
        envelope = await self._call_json(request)
        return SignLink(link=link_from(request.endpoint, envelope))

    async def download(self, request: DownloadRequest) -> DownloadedDocument:
        """Download the document as raw PDF (DWMITRA), signed or not yet.

        Raises:
            digisign.errors.HttpStatusError: 403 (not the partner's) or 404 (not found).
            digisign.errors.UnexpectedResponse: the body is not a PDF.
        """
        response = await self._post(request)
        if response.is_success and b"%PDF-" in response.content[:1024]:
            self._observe(request.endpoint, "00", response)
            return pdf_from_bytes(request.endpoint, response.content)
        # Not a PDF: maybe a JSON error envelope, maybe an error page.
        envelope = self._read(request.endpoint, response)
        raise_for(request.endpoint, envelope)
        return pdf_from_bytes(request.endpoint, response.content)  # a "00" with no PDF

    async def download_base64(self, request: DownloadBase64Request) -> DownloadedDocument:
        """Download the document as base64 in JSON (DWMITRA64).

        Raises:
            digisign.errors.NotFound: the file does not exist.
            digisign.errors.AccessDenied: the document belongs to another partner.
            digisign.errors.UnexpectedResponse: the file is not base64 of a PDF.
        """
        envelope = await self._call_json(request)
        return pdf_from_base64(request.endpoint, envelope)

    async def update_contact(self, request: UpdateContactRequest) -> ContactUpdated:
        """Change a not-yet-activated user's e-mail or phone (UPDATE-EP).

        Raises:
            digisign.errors.ContactChangeRejected: already active, value taken,
                or the old phone does not match.
            digisign.errors.NotFound: the e-mail is not registered.
        """
        envelope = await self._call_json(request)
        return ContactUpdated(notif=envelope.notif)

    # --- one place for the wire -------------------------------------------------------

    async def _call_json(self, request: DigisignRequest) -> Envelope:
        response = await self._post(request)
        envelope = self._read(request.endpoint, response)
        raise_for(request.endpoint, envelope)
        return envelope

    async def _post(self, request: DigisignRequest) -> httpx.Response:
        endpoint = request.endpoint
        jsonfield = json.dumps(request.json_file(self._config.userid), separators=(",", ":"))
        # `jsonfield` goes as a plain form field; httpx sends multipart only when
        # there are "files", and Digisign answers 30 to anything but multipart.
        parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
            ("jsonfield", (None, jsonfield, None))
        ]
        parts.extend((name, part) for name, part in request.files().items())
        started = time.monotonic()
        try:
            response = await self._http.post(
                self._config.url(endpoint),
                files=parts,
                headers={"Authorization": f"Bearer {self._config.token}"},
                timeout=httpx.Timeout(endpoint.timeout.total_seconds()),
            )
        except httpx.TimeoutException as exc:
            self._observe_label(endpoint, "transport_error", started)
            raise TransportError(
                endpoint, f"no answer within the timeout ({exc.__class__.__name__})"
            ) from exc
        except httpx.TransportError as exc:
            self._observe_label(endpoint, "transport_error", started)
            raise TransportError(endpoint, f"connection failed ({exc.__class__.__name__})") from exc
        response.extensions["signflow_started"] = started
        return response

    def _read(self, endpoint: Endpoint, response: httpx.Response) -> Envelope:
        """The envelope of `response`, or the error for a status without one."""
        try:
            envelope = read_envelope(endpoint, response.content)
        except UnexpectedResponse:
            if response.status_code >= 500:
                self._observe(endpoint, f"http_{response.status_code}", response)
                raise TransportError(endpoint, f"HTTP {response.status_code}") from None
            if not response.is_success:
                self._observe(endpoint, f"http_{response.status_code}", response)
                raise HttpStatusError(endpoint, response.status_code) from None
            self._observe(endpoint, "unexpected_response", response)
            raise
        self._observe(endpoint, envelope.result, response)
        return envelope

    def _observe(self, endpoint: Endpoint, label: str, response: httpx.Response) -> None:
        self._observe_label(endpoint, label, response.extensions["signflow_started"])

    def _observe_label(self, endpoint: Endpoint, label: str, started: float) -> None:
        elapsed = time.monotonic() - started
        # Only the endpoint, the outcome and the time: never the body, which holds PII.
        logger.info(
            "digisign call %s -> %s in %.3fs",
            endpoint.name,
            label,
            elapsed,
            extra={"digisign_endpoint": endpoint.name, "digisign_outcome": label},
        )
        if self._observer is not None:
            self._observer(endpoint, label, elapsed)
