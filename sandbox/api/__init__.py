"""The seven Digisign API endpoints, at Digisign's paths.

==========================  ====================================  ================
path                        handler                               module
==========================  ====================================  ================
``/REG-MITRA.html``         register                              `register`
``/gen/genACTPage.html``    activation link                       `links`
``/SendDocMitraAT.html``    send document                         `send`
``/gen/genSignPage.html``   sign (or view) link                   `links`
``/DWMITRA.html``           download, raw PDF                     `downloads`
``/DWMITRA64.html``         download, base64 in JSON              `downloads`
``/UPDATE-EP.html``         change e-mail or phone                `contact`
==========================  ====================================  ================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from digisign.endpoints import Endpoint
from sandbox.api.contact import update_contact
from sandbox.api.downloads import download, download_base64
from sandbox.api.links import activation_link, sign_link
from sandbox.api.register import register
from sandbox.api.send import send_document

Handler = Callable[[Request], Awaitable[Response]]

HANDLERS: dict[Endpoint, Handler] = {
    Endpoint.REGISTER: register,
    Endpoint.ACTIVATION_LINK: activation_link,
    Endpoint.SEND_DOCUMENT: send_document,
    Endpoint.SIGN_LINK: sign_link,
    Endpoint.DOWNLOAD: download,
    Endpoint.DOWNLOAD_BASE64: download_base64,
    Endpoint.UPDATE_CONTACT: update_contact,
}
"""Every endpoint's handler; each answers POST on ``endpoint.path``."""

__all__ = ["HANDLERS", "Handler"]
