"""What every Digisign request is: a validated, frozen model that renders its wire form."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from digisign.endpoints import Endpoint

FileParts = dict[str, tuple[str, bytes, str]]
"""Multipart file parts: form field → (file name, content, content type)."""


class WireModel(BaseModel):
    """A frozen model of request data, quiet in errors (nested parts of requests)."""

    # Spelled out, not `PERSONAL_DATA_CONFIG`: the mypy plugin reads only a literal
    # ConfigDict, and then reports assignments to fields of these frozen models.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )

    if not TYPE_CHECKING:
        # Hidden from type checkers, which then keep reporting assignments to a
        # frozen model's fields as errors.
        def __setattr__(self, name: str, value: Any) -> None:
            """Refuse, like any frozen model, but without echoing the value.

            Pydantic's own frozen-instance error ignores ``hide_input_in_errors`` and
            prints the assigned value (a NIK, say).
            """
            raise _frozen_error(type(self), name)

        def __delattr__(self, name: str) -> None:
            """Refuse: the model is frozen."""
            raise _frozen_error(type(self), name)


class DigisignRequest(WireModel, abc.ABC):
    """A request to one Digisign endpoint, checked against Digisign's rules when built.

    The partner's ``userid`` (its admin e-mail) is not part of the request: the client
    adds it when sending, so the same request can be replayed under another account.
    """

    endpoint: ClassVar[Endpoint]
    """The endpoint this request is sent to."""

    def json_file(self, userid: str) -> dict[str, Any]:
        """The ``jsonfield`` form value, as a dict: ``{"JSONFile": {"userid": ..., ...}}``.

        Args:
            userid: The partner admin e-mail registered at Digisign.

        Returns:
            The object to serialize as JSON, keyed and typed as in Digisign's examples.
        """
        return {"JSONFile": {"userid": userid, **self._wire_fields()}}

    def files(self) -> FileParts:
        """The multipart file parts; empty for requests that upload nothing.

        File names are fixed ("ktp.jpg", "document.pdf"): they reach Digisign's logs,
        so they must not carry personal data.
        """
        return {}

    @abc.abstractmethod
    def _wire_fields(self) -> dict[str, Any]:
        """The ``JSONFile`` members other than ``userid``."""


def _frozen_error(model: type[BaseModel], name: str) -> ValidationError:
    return ValidationError.from_exception_data(
        model.__name__,
        [{"type": "frozen_instance", "loc": (name,), "input": None}],
        hide_input=True,
    )


def without_none(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop the members whose value is None: Digisign reads absent as "default"."""
    return {key: value for key, value in fields.items() if value is not None}
