"""The signing workflow's mutable state, and how it is shown (query, UI details).

Plain dataclasses mutated only by the workflow and its handlers; everything here is
deterministic (times come from `workflow.now()` passed in by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from activities.models import Registrant
from digisign.results import RegistrationKind
from workflows.models import (
    LinkResponse,
    SignerInput,
    SignerStage,
    SignerStatus,
    SigningOutcome,
    SigningRequest,
    SigningStatus,
    Stage,
)


@dataclass
class SignerState:
    """One signer's progress. E-mail and phone may change (UPDATE-EP) before activation."""

    index: int
    input: SignerInput
    email: str
    phone: str
    stage: SignerStage = SignerStage.PENDING
    registration: RegistrationKind | None = None
    activation_deadline: datetime | None = None
    activated: bool = False
    activation_claimed: bool = False
    """An activation redirect arrived and Digisign has not confirmed it yet."""
    signed: bool = False
    signature_claimed: bool = False
    """A sign redirect arrived and Digisign has not confirmed it yet."""
    rejection_claimed: bool = False
    """A redirect reported a refusal to sign, and Digisign has not confirmed it yet."""
    rejected: bool = False
    certificate_expired: bool = False
    activation_link: LinkResponse | None = None
    sign_link: LinkResponse | None = None
    waiting_since: datetime | None = None
    re_registrations: int = 0

    @classmethod
    def of(cls, index: int, signer: SignerInput) -> SignerState:
        """The initial state of the `index`-th signer."""
        return cls(index=index, input=signer, email=signer.email, phone=signer.phone)

    def is_email(self, email: str) -> bool:
        """Whether `email` is this signer's (Digisign ignores case)."""
        return self.email.strip().lower() == email.strip().lower()

    def registrant(self) -> Registrant:
        """The registration data, with the current e-mail and phone."""
        fields = {name: getattr(self.input, name) for name in Registrant.model_fields}
        return Registrant(**{**fields, "email": self.email, "phone": self.phone})

    def await_(self, stage: SignerStage, now: datetime) -> None:
        """Move to a waiting stage, noting since when."""
        self.stage = stage
        self.waiting_since = now

    def status(self) -> SignerStatus:
        """This signer as the `status` query shows it."""
        return SignerStatus(
            index=self.index,
            email=self.email,
            stage=self.stage,
            signed=self.signed,
            registration=self.registration,
            activation_link=self.activation_link,
            sign_link=self.sign_link,
            waiting_since=self.waiting_since,
            re_registrations=self.re_registrations,
        )


@dataclass
class LifecycleState:
    """The whole lifecycle."""

    request: SigningRequest
    signers: list[SignerState] = field(default_factory=list)
    stage: Stage = Stage.REGISTERING
    retry_later_waits: int = 0
    note: str = ""
    outcome: SigningOutcome | None = None

    @classmethod
    def of(cls, request: SigningRequest) -> LifecycleState:
        """The state before anything happened."""
        signers = [SignerState.of(i, s) for i, s in enumerate(request.signers)]
        return cls(request=request, signers=signers)

    def signer(self, email: str) -> SignerState | None:
        """The signer with this e-mail, if any."""
        return next((s for s in self.signers if s.is_email(email)), None)

    @property
    def pending_signers(self) -> int:
        """Signers who have not signed yet."""
        return sum(1 for s in self.signers if not s.signed)

    def status(self) -> SigningStatus:
        """The whole state for the `status` query."""
        return SigningStatus(
            loan_id=self.request.loan_id,
            document_id=self.request.document_id,
            stage=self.stage,
            signers=tuple(s.status() for s in self.signers),
            retry_later_waits=self.retry_later_waits,
            outcome=self.outcome,
        )

    def details(self) -> str:
        """Markdown for the Temporal UI's current details: who is awaited, since when.

        Signers are named by position, never by name or e-mail (the details are
        encrypted by the codec, but an operator's screen is still a screen).
        """
        lines = [f"**Stage:** {self.stage.value}"]
        if self.note:
            lines.append(f"**Note:** {self.note}")
        for s in self.signers:
            line = f"- signer {s.index + 1}: {s.stage.value}"
            if s.waiting_since and s.stage in (
                SignerStage.AWAITING_ACTIVATION,
                SignerStage.AWAITING_SIGNATURE,
            ):
                line += f" since {s.waiting_since:%Y-%m-%d %H:%M} UTC"
                link = (
                    s.activation_link if s.stage is SignerStage.AWAITING_ACTIVATION else s.sign_link
                )
                if link is not None:
                    line += f", link expires {link.expires_at:%H:%M} UTC"
            lines.append(line)
        if self.outcome is not None:
            lines.append(f"**Outcome:** {self.outcome.status.value} {self.outcome.reason}".rstrip())
        return "\n".join(lines)
