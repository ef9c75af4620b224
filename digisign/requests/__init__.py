"""The seven Digisign requests, validated against Digisign's rules before sending.

Each request is a frozen `DigisignRequest`: building it checks every rule Digisign's
server applies (and the stricter ones of its API document); ``json_file(userid)``
renders the ``jsonfield`` object exactly as Digisign's examples write it, and
``files()`` the multipart file parts. Errors and reprs never show personal data.

=========================  ==========================  =====================
model                      endpoint                    files
=========================  ==========================  =====================
`RegisterRequest`          REG-MITRA                   fotoktp, fotodiri, ttd
`ActivationLinkRequest`    gen/genACTPage              none
`SendDocumentRequest`      SendDocMitraAT              file
`SignLinkRequest`          gen/genSignPage             none
`DownloadRequest`          DWMITRA                     none
`DownloadBase64Request`    DWMITRA64                   none
`UpdateContactRequest`     UPDATE-EP                   none
=========================  ==========================  =====================
"""

from __future__ import annotations

from digisign.requests.base import DigisignRequest, FileParts, WireModel
from digisign.requests.contact import UpdateContactRequest
from digisign.requests.download import DownloadBase64Request, DownloadRequest
from digisign.requests.links import ActivationLinkRequest, SignLinkRequest
from digisign.requests.register import RegisterRequest
from digisign.requests.send_document import (
    Box,
    MeteraiPosition,
    SendDocumentRequest,
    SignBox,
    Signer,
    Viewer,
)

__all__ = [
    "ActivationLinkRequest",
    "Box",
    "DigisignRequest",
    "DownloadBase64Request",
    "DownloadRequest",
    "FileParts",
    "MeteraiPosition",
    "RegisterRequest",
    "SendDocumentRequest",
    "SignBox",
    "SignLinkRequest",
    "Signer",
    "UpdateContactRequest",
    "Viewer",
    "WireModel",
]
