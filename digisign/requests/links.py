"""genACTPage and genSignPage: single-use links for the user's browser.

Both links expire within minutes (7 for activation, 20 for signing), so a workflow
asks for a fresh one each time the user needs it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from digisign.endpoints import Endpoint
from digisign.fields import DocumentId, Email
from digisign.requests.base import DigisignRequest, without_none


class ActivationLinkRequest(DigisignRequest):
    """Ask for the activation page link of a registered, not yet activated user."""

    endpoint: ClassVar[Endpoint] = Endpoint.ACTIVATION_LINK

    email_user: Email = Field(repr=False)
    """The e-mail the user registered with."""

    def _wire_fields(self) -> dict[str, Any]:
        return {"email_user": self.email_user}


class SignLinkRequest(DigisignRequest):
    """Ask for the signing (or viewing) page link of one signer of one document."""

    endpoint: ClassVar[Endpoint] = Endpoint.SIGN_LINK

    document_id: DocumentId
    email_user: Email = Field(repr=False)
    """The signer's e-mail."""
    view_only: bool | None = None
    """True: the user may only view; None (not sent) or False: view and sign."""

    def _wire_fields(self) -> dict[str, Any]:
        return without_none(
            {
                "email_user": self.email_user,
                "document_id": self.document_id,
                "view_only": self.view_only,
            }
        )
