"""The seven Digisign EXT-AT 3.0.4 endpoints: path and timeout of each.

Digisign's integration terms (section "Integration Terms and Conditions", item 3)
require a timeout of at least 95 s for registration and send-document, because
both wait on slow back ends (the civil registry, document storage), and 30 s for
everything else. The numbers live here and nowhere else.
"""

from __future__ import annotations

import enum
from datetime import timedelta

SLOW_CALL_TIMEOUT = timedelta(seconds=95)
"""Registration and send-document: Digisign requires at least 95 s."""

FAST_CALL_TIMEOUT = timedelta(seconds=30)
"""Every other endpoint: Digisign requires at least 30 s."""


class Endpoint(enum.Enum):
    """A Digisign API endpoint, named for what it does."""

    REGISTER = "/REG-MITRA.html"
    ACTIVATION_LINK = "/gen/genACTPage.html"
    SEND_DOCUMENT = "/SendDocMitraAT.html"
    SIGN_LINK = "/gen/genSignPage.html"
    DOWNLOAD = "/DWMITRA.html"
    DOWNLOAD_BASE64 = "/DWMITRA64.html"
    UPDATE_CONTACT = "/UPDATE-EP.html"

    @property
    def path(self) -> str:
        """The URL path, relative to the base URL (production, UAT or the sandbox)."""
        return self.value

    @property
    def timeout(self) -> timedelta:
        """How long the client waits for an answer before giving up."""
        if self in (Endpoint.REGISTER, Endpoint.SEND_DOCUMENT):
            return SLOW_CALL_TIMEOUT
        return FAST_CALL_TIMEOUT

    @property
    def is_cost_bearing(self) -> bool:
        """Whether a successful call costs the partner money (identity check, document).

        Such calls are never retried blindly: a retry after an unknown outcome must
        be told apart from a second charge by the result it gets.
        """
        return self in (Endpoint.REGISTER, Endpoint.SEND_DOCUMENT)
