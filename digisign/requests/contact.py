"""UPDATE-EP: change a registered user's e-mail or phone, before activation only."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from digisign.endpoints import Endpoint
from digisign.fields import Email, Phone
from digisign.requests.base import DigisignRequest


class UpdateContactRequest(DigisignRequest):
    """Replace the e-mail and/or phone of a user who has not activated yet.

    All four values are required; pass the old value as the new one to keep it.
    Digisign checks the old phone against its records (08 when it differs).
    """

    endpoint: ClassVar[Endpoint] = Endpoint.UPDATE_CONTACT

    email_lama: Email = Field(repr=False)
    """The e-mail registered now."""
    email_baru: Email = Field(repr=False)
    """The e-mail to register instead."""
    nohp_lama: Phone = Field(repr=False)
    """The phone registered now."""
    nohp_baru: Phone = Field(repr=False)
    """The phone to register instead."""

    def _wire_fields(self) -> dict[str, Any]:
        return {
            "email_lama": self.email_lama,
            "email_baru": self.email_baru,
            "nohp_lama": self.nohp_lama,
            "nohp_baru": self.nohp_baru,
        }
