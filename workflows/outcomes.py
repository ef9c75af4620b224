"""How Digisign's failures become the lifecycle's typed outcomes.

Activities raise `ApplicationError`s typed with the `digisign.errors` class name
(activities/errors.py). The workflow turns the ones it does not handle itself into
an ending: which outcome, for which signer, with what reason and detail.
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

from activities.errors import INVALID_INPUT, ErrorDetails, error_details
from workflows.models import OutcomeStatus, SigningOutcome

RETRY_LATER = "RetryLater"

_REGISTRATION_REFUSALS = frozenset(
    {"AlreadyRegisteredElsewhere", "PhoneInUse", "TooManyAttempts", "UserBlocked"}
)


class LifecycleEnded(Exception):
    """Raised inside the workflow to end the lifecycle with `outcome`."""

    def __init__(self, outcome: SigningOutcome) -> None:
        super().__init__(outcome.status.value)
        self.outcome = outcome


class DigisignFailure(Exception):
    """An activity failed for good; `kind` is the error type (`CertificateExpired`, ...)."""

    def __init__(self, kind: str, details: ErrorDetails, step: str, signer: int | None) -> None:
        super().__init__(f"{step}: {kind}")
        self.kind = kind
        self.details = details
        self.step = step
        self.signer = signer

    @classmethod
    def of(cls, err: ActivityError, step: str, signer: int | None) -> DigisignFailure:
        """Read the failure type and details off an activity error."""
        cause = err.cause
        if isinstance(cause, ApplicationError):
            return cls(cause.type or "ApplicationError", error_details(cause), step, signer)
        if isinstance(cause, TimeoutError):
            return cls("Timeout", ErrorDetails(), step, signer)
        return cls(type(cause).__name__ if cause else "Unknown", ErrorDetails(), step, signer)

    def outcome(self) -> SigningOutcome:
        """The ending this failure means."""
        d = self.details
        if self.kind == "VerificationFailed":
            checks = ", ".join(d.checks) or "unspecified"
            return self._ending(OutcomeStatus.VERIFICATION_FAILED, f"failed checks: {checks}")
        if self.kind in _REGISTRATION_REFUSALS:
            extra = f" ({d.conflict} registered elsewhere)" if d.conflict else ""
            return self._ending(OutcomeStatus.REGISTRATION_REFUSED, f"{d.notif or ''}{extra}")
        if self.kind in ("Timeout", "TransportError", "UnexpectedResponse", RETRY_LATER):
            return self._ending(OutcomeStatus.DIGISIGN_UNAVAILABLE, "Digisign did not answer")
        if self.kind == INVALID_INPUT:
            return self._ending(OutcomeStatus.DIGISIGN_REFUSED, f"invalid: {', '.join(d.fields)}")
        return self._ending(OutcomeStatus.DIGISIGN_REFUSED, d.notif or "")

    def _ending(self, status: OutcomeStatus, detail: str) -> SigningOutcome:
        where = f"{self.step}: " if self.step else ""
        return SigningOutcome(
            status=status,
            reason=self.kind,
            detail=f"{where}{detail}".strip().rstrip(":"),
            signer_index=self.signer,
        )
