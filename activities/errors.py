"""Digisign's errors as Temporal sees them: the one translation, at the activity boundary.

The `type` of every `ApplicationError` is the `digisign.errors` class name
(`RetryLater`, `VerificationFailed`, `NotFound`, ...), so the workflow and the tests
decide on the type, never on a message. The details carry what the workflow needs
to name the reason (failed checks, not-found reason, conflict), never personal data.

- retry-later (`91`): non-retryable here, because the wait is the workflow's
  ten-minute durable timer, not a hot retry loop;
- transient (network, 5xx, unreadable answers): retryable, with the activity's
  retry policy;
- permanent: non-retryable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError

from activities.blobs import BlobError, BlobRefused
from digisign import errors as e

P = ParamSpec("P")
R = TypeVar("R")

INVALID_INPUT = "InvalidInput"
"""The lifecycle's data breaks a Digisign rule only visible with the files (e.g. selfie size)."""

BLOB_UNAVAILABLE = "BlobUnavailable"


class ErrorDetails(BaseModel):
    """What an `ApplicationError` from a Digisign call carries as its first detail."""

    endpoint: str | None = None
    result: str | None = None
    notif: str | None = None
    info: str | None = None
    ref_trx: str | None = None
    checks: list[str] = []
    reason: str | None = None
    conflict: str | None = None
    balance: str | None = None
    fields: list[str] = []


def application_error(exc: e.DigisignError) -> ApplicationError:
    """The `ApplicationError` that stands for `exc` in Temporal."""
    details = ErrorDetails()
    if isinstance(exc, e.ApiError):
        details = ErrorDetails(
            endpoint=exc.endpoint.name,
            result=exc.result,
            notif=exc.notif,
            info=exc.info if exc.info and not exc.info.startswith("http") else None,
            ref_trx=exc.ref_trx,
            checks=sorted(c.value for c in getattr(exc, "checks", ())),
            reason=getattr(getattr(exc, "reason", None), "value", None),
            conflict=getattr(exc, "conflict", None),
            balance=getattr(exc, "balance", None),
        )
    return ApplicationError(
        str(exc),
        details.model_dump(mode="json"),
        type=type(exc).__name__,
        # `permanent`, not `not transient`: an HTTP 403/404 download (`HttpStatusError`)
        # is an `UnexpectedResponse`, transient as a class, yet permanent as an answer.
        non_retryable=exc.retry_later or exc.permanent,
    )


def translate_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate an activity so library errors leave it as typed `ApplicationError`s.

    `raise ... from None`: the original exception may hold an httpx request whose
    body carries the NIK; it must not travel into history as the failure's cause.
    """

    @wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except e.DigisignError as exc:
            raise application_error(exc) from None
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
            raise ApplicationError(
                f"input breaks Digisign's rules: {', '.join(fields)}",
                ErrorDetails(fields=fields).model_dump(mode="json"),
                type=INVALID_INPUT,
                non_retryable=True,
            ) from None
        except BlobError as exc:
            # A missing photo may appear later (an upload in flight): retry. A reference
            # the store refuses never will.
            raise ApplicationError(
                str(exc), type=BLOB_UNAVAILABLE, non_retryable=isinstance(exc, BlobRefused)
            ) from None

    return wrapper


def error_details(error: ApplicationError) -> ErrorDetails:
    """The `ErrorDetails` an `ApplicationError` from `application_error` carries."""
    raw: Any = error.details[0] if error.details else {}
    try:
        return ErrorDetails.model_validate(raw)
    except ValidationError:
        return ErrorDetails()
