"""A signer robot: acts in Digisign's activation and sign pages as a person in a browser would.

For the demo, the integration tests and load runs. Given a link, it

1. GETs the page (following redirects, keeping cookies in the caller's client);
2. finds the page's form (`activation-form` or `sign-form`) and the button for
   the chosen action, and submits the form's fields plus that button, the way a
   browser encodes a form (`application/x-www-form-urlencoded`, relative actions
   resolved against the page's URL, `Referer` sent);
3. on a redirect, reads `msg` from the `Location` exactly as sent (still
   URL-encoded) and, when asked to, follows it to the partner's URL: after a
   303 (or 301/302) with a GET, after a 307/308 by repeating the POST.

Pages that answer with an error (401 used, 404 unknown, 406 out of turn, 408
expired, ...) are outcomes, not exceptions: the caller asserts on
`RobotOutcome.status_code`. A 200 page without the expected form is a
`RobotError`, because then the robot cannot act at all.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Literal
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

Action = Literal["activate", "sign", "reject"]

_FORM_IDS: dict[Action, str] = {
    "activate": "activation-form",
    "sign": "sign-form",
    "reject": "sign-form",
}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_REPEATS_METHOD = frozenset({307, 308})
_TEXT_LIMIT = 4000
"""Characters of page text kept in an outcome: enough to assert on, small in load runs."""


class RobotError(Exception):
    """The page cannot be acted on: no form, no button for the action, or not HTML.

    Attributes:
        url: the page's URL.
        status_code: the page's HTTP status.
        page_text: the page's visible text (what a person would have read).
    """

    def __init__(self, message: str, *, url: str, status_code: int, page_text: str) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.page_text = page_text


class RobotOutcome(BaseModel):
    """What the signer saw at the end.

    Attributes:
        status_code: the status of the last page the robot stopped at: the
            partner's page after a followed redirect; the redirect itself (e.g. 303)
            when not following it or when the partner could not be reached; the
            error or "done" page otherwise.
        redirect_url: the absolute `Location` of the redirect after submitting,
            or None when the page did not redirect.
        msg: the raw `msg` query value of that `Location` (URL-encoded as sent),
            or None.
        page_text: visible text of the last page (truncated to a few thousand characters).
    """

    model_config = ConfigDict(frozen=True)

    status_code: int
    redirect_url: str | None
    msg: str | None
    page_text: str


class SignerRobot:
    """Drives activation and sign pages over HTTP.

    Args:
        http: the client to use; its cookie jar is the robot's "browser profile",
            so give each simulated person their own client when that matters.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def activate(self, link: str, *, follow_redirect: bool = True) -> RobotOutcome:
        """Open an activation link and press "activate".

        Args:
            link: the activation link (`.../activationpage.html?act=...`).
            follow_redirect: whether to go on to the partner's URL after the redirect.

        Returns:
            The outcome; an error page's status is an outcome, not an exception.

        Raises:
            RobotError: the page has no activation form or no activate button.
            httpx.HTTPError: the page itself could not be fetched or submitted.
        """
        return await self._act(link, "activate", follow_redirect)

    async def sign(self, link: str, *, follow_redirect: bool = True) -> RobotOutcome:
        """Open a sign link and press "sign".

        Args:
            link: the sign link (`.../signingpage.html?sgn=...`).
            follow_redirect: whether to go on to the partner's URL after the redirect.

        Returns:
            The outcome; an error page's status is an outcome, not an exception.

        Raises:
            RobotError: the page has no sign form or no sign button (for example
                the certificate-expired notice).
            httpx.HTTPError: the page itself could not be fetched or submitted.
        """
        return await self._act(link, "sign", follow_redirect)

    async def reject(self, link: str, *, follow_redirect: bool = True) -> RobotOutcome:
        """Open a sign link and press "reject".

        Args:
            link: the sign link.
            follow_redirect: whether to go on to the partner's URL after the redirect.

        Returns:
            The outcome; an error page's status is an outcome, not an exception.

        Raises:
            RobotError: the page has no sign form or no reject button.
            httpx.HTTPError: the page itself could not be fetched or submitted.
        """
        return await self._act(link, "reject", follow_redirect)

    async def _act(self, link: str, action: Action, follow_redirect: bool) -> RobotOutcome:
        page = await self._http.get(link, follow_redirects=True)
        if page.status_code != httpx.codes.OK:
            return _stopped_at(page)
        url = str(page.url)
        form = _find_form(page.text, _FORM_IDS[action])
        if form is None:
            raise RobotError(
                f"no <form id={_FORM_IDS[action]!r}> on the page at {url}",
                url=url,
                status_code=page.status_code,
                page_text=_visible_text(page.text),
            )
        button = form.button_for(action)
        if button is None:
            raise RobotError(
                f"no {action!r} button in the form on the page at {url}",
                url=url,
                status_code=page.status_code,
                page_text=_visible_text(page.text),
            )
        fields = [*form.fields, button] if button[0] else list(form.fields)
        target = urljoin(url, form.action or url)
        headers = {"Referer": url}
        # Encoded by hand to keep the fields' order and repeats, as a browser sends them.
        body = urlencode(fields)
        if form.method == "get":
            # A GET form replaces the action's query with the fields, as browsers do.
            target = f"{target.split('?', 1)[0]}?{body}"
            answer = await self._http.get(target, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            answer = await self._http.post(target, content=body, headers=headers)
        location = answer.headers.get("location")
        if answer.status_code not in _REDIRECTS or location is None:
            return _stopped_at(answer)
        redirect_url = urljoin(str(answer.url), location)
        msg = _raw_query_value(location, "msg")
        if not follow_redirect:
            return _stopped_at(answer, redirect_url=redirect_url, msg=msg)
        try:
            if answer.status_code in _REPEATS_METHOD and form.method != "get":
                final = await self._http.post(
                    redirect_url, content=body, headers=headers, follow_redirects=True
                )
            else:
                final = await self._http.get(redirect_url, headers=headers, follow_redirects=True)
        except httpx.TransportError as exc:
            # Digisign's part is done; an unreachable partner is the partner's problem, and
            # the test or load run still needs the msg the browser was carrying.
            return RobotOutcome(
                status_code=answer.status_code,
                redirect_url=redirect_url,
                msg=msg,
                page_text=f"partner not reachable: {type(exc).__name__}",
            )
        return _stopped_at(final, redirect_url=redirect_url, msg=msg)


def _stopped_at(
    response: httpx.Response, *, redirect_url: str | None = None, msg: str | None = None
) -> RobotOutcome:
    return RobotOutcome(
        status_code=response.status_code,
        redirect_url=redirect_url,
        msg=msg,
        page_text=_visible_text(response.text),
    )


def _raw_query_value(url: str, name: str) -> str | None:
    """The last `name=` value in the URL's query, exactly as written (not URL-decoded).

    The last one, because Digisign appends `&msg=` to whatever query the partner's
    URL already has.
    """
    value = None
    for part in urlsplit(url).query.split("&"):
        key, sep, raw = part.partition("=")
        if sep and unquote(key) == name:
            value = raw
    return value


# --- reading HTML ----------------------------------------------------------------------------


class _Form:
    def __init__(self, attrs: dict[str, str]) -> None:
        self.id = attrs.get("id", "")
        self.action = attrs.get("action", "").strip()
        self.method = attrs.get("method", "get").strip().lower()
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[dict[str, str]] = []

    def button_for(self, action: str) -> tuple[str, str] | None:
        """The (name, value) a click on the action's submit button adds to the form data."""
        for button in self.buttons:
            if action in (button.get("value"), button.get("id")):
                return button.get("name", ""), button.get("value", "")
        return None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.text: list[str] = []
        self._form: _Form | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag in ("script", "style", "template"):
            self._hidden_depth += 1
        elif tag == "form":
            self._form = _Form(values)
            self.forms.append(self._form)
        elif self._form is not None and "disabled" not in values:
            self._form_control(self._form, tag, values)

    def _form_control(self, form: _Form, tag: str, values: dict[str, str]) -> None:
        kind = values.get("type", "submit" if tag == "button" else "text").lower()
        if tag == "button" or (tag == "input" and kind in ("submit", "image")):
            if kind in ("submit", "image"):
                form.buttons.append(values)
        elif tag == "input" and "name" in values:
            if kind in ("checkbox", "radio") and "checked" not in values:
                return
            if kind not in ("reset", "button", "file"):
                default = "on" if kind in ("checkbox", "radio") else ""
                form.fields.append((values["name"], values.get("value", default)))
        elif tag == "textarea" and "name" in values:
            self._textarea = (values["name"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, chunks = self._textarea
            self._form.fields.append((name, "".join(chunks)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif not self._hidden_depth:
            self.text.append(data)


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def _find_form(html: str, form_id: str) -> _Form | None:
    return next((form for form in _parse(html).forms if form.id == form_id), None)


def _visible_text(html: str) -> str:
    return " ".join(" ".join(_parse(html).text).split())[:_TEXT_LIMIT]
