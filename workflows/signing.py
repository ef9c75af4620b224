"""The signing lifecycle: one durable workflow per document.

    register every signer (in parallel) ─► wait for each activation ─► send the document
      ─► collect signatures (in signing_seq order, or all at once) ─► download ─► done

Orchestration only (STYLE.md 1): no I/O, no clock but `workflow.now()`, no
randomness. Every Digisign call goes through `_call`, which turns `91` into a
durable ten-minute timer. Every wait has a deadline. Every ending is a
`SigningOutcome`, never a stack trace.

Determinism hazards worth knowing before editing:
- the order of activities, timers and waits is history: reordering them breaks
  running lifecycles (use `workflow.patched` for such changes, and run the replay
  tests in tests/workflows/test_replay.py);
- `wait_condition` with and without a timeout are different commands; keep the
  timeouts as they are or patch.

Patches in force (each guards lifecycles started by older code; remove one with
`workflow.deprecate_patch` once no lifecycle started before it can still run):
- `CONFIRM_REDIRECTS`: a redirect is a claim, confirmed with Digisign before it
  counts (see `_confirm_activation`). Lifecycles started before it trust redirects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypedDict, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.digisign import DigisignActivities
    from activities.los import LosActivities
    from activities.models import (
        ActivationLinkInput,
        ContactChangeInput,
        DownloadInput,
        NotifyInput,
        RegisterInput,
        RegisterResult,
        SendInput,
        SignLinkInput,
    )
    from digisign.requests import Signer
    from workflows import names, policies
    from workflows.models import (
        Ack,
        ActivatedSignal,
        CancelRequest,
        CertificateExpiredSignal,
        ContactChange,
        LinkRequest,
        LinkResponse,
        OutcomeStatus,
        SignedSignal,
        SignerStage,
        SigningOutcome,
        SigningRequest,
        SigningStatus,
        Stage,
    )
    from workflows.outcomes import RETRY_LATER, DigisignFailure, LifecycleEnded
    from workflows.state import LifecycleState, SignerState

CONFIRM_REDIRECTS = "confirm-redirects"
"""Patch id: activations and signatures are confirmed with Digisign, not taken on a redirect."""

T = TypeVar("T")
A = TypeVar("A")


@workflow.defn(name=names.WORKFLOW_NAME)
class SigningWorkflow:
    """Drives one document's Digisign lifecycle from registration to the signed PDF."""

    @workflow.init
    def __init__(self, request: SigningRequest) -> None:
        # @workflow.init: handlers may run before `run` starts, and must see state.
        self._state = LifecycleState.of(request)
        self._policy = request.policy
        self._main: asyncio.Task[SigningOutcome] | None = None
        self._cancel_reason: str | None = None
        self._shown: tuple[Any, ...] = ()
        # Decided here, before any handler runs, so that handlers and the lifecycle agree.
        self._confirm = workflow.patched(CONFIRM_REDIRECTS)

    # --- the lifecycle -----------------------------------------------------------------

    @workflow.run
    async def run(self, request: SigningRequest) -> SigningOutcome:
        """Run the lifecycle to its outcome."""
        self._refresh()
        self._main = asyncio.create_task(self._lifecycle())
        try:
            outcome = await self._main
        except LifecycleEnded as ended:
            outcome = ended.outcome
        except DigisignFailure as failure:
            outcome = failure.outcome()
        except asyncio.CancelledError:
            # A Temporal cancel, or our own `cancel` update: end cleanly, not as a failure.
            outcome = SigningOutcome(
                status=OutcomeStatus.CANCELLED,
                reason="cancelled",
                detail=self._cancel_reason or "cancelled through Temporal",
            )
        self._state.outcome = outcome
        self._state.stage = outcome.status.stage
        self._state.note = ""
        self._refresh()
        workflow.logger.info("lifecycle ended: %s %s", outcome.status.value, outcome.reason)
        # Workflow metrics are replay-safe: the SDK does not record them during replay.
        workflow.metric_meter().create_counter(
            "signflow_lifecycle_outcomes", "Signing lifecycles by outcome"
        ).add(1, {"outcome": outcome.status.value})
        await self._notify(
            "completed" if outcome.status is OutcomeStatus.COMPLETED else "ended",
            outcome=outcome,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    async def _lifecycle(self) -> SigningOutcome:
        for signer in self._state.signers:
            if signer.input.consent is None:
                raise LifecycleEnded(
                    SigningOutcome(status=OutcomeStatus.CONSENT_MISSING, signer_index=signer.index)
                )
        await _all(self._onboard(s) for s in self._state.signers)
        await self._send()
        self._set_stage(Stage.AWAITING_SIGNATURE)
        if self._state.request.sequence_option:
            for signer in sorted(self._state.signers, key=lambda s: s.input.signing_seq or 0):
                await self._collect_signature(signer)
        else:
            await _all(self._collect_signature(s) for s in self._state.signers)
        self._set_stage(Stage.DOWNLOADING)
        signed = await self._call(
            "download the signed PDF",
            DigisignActivities.download_signed,
            DownloadInput(
                document_id=self._state.request.document_id,
                original=self._state.request.document,
            ),
            policies.DOWNLOAD,
        )
        return SigningOutcome(status=OutcomeStatus.COMPLETED, signed_document=signed)

    async def _onboard(self, signer: SignerState) -> None:
        """Register a signer and, when Digisign needs it, wait for their activation."""
        await self._register(signer)
        self._refresh()
        if signer.activated:
            return
        await self._issue_activation_link(signer)
        deadline = signer.activation_deadline or (
            workflow.now() + policies.DEFAULT_ACTIVATION_WINDOW
        )
        while True:  # one wait at least: a wait is a timer, and timers are history
            try:
                await self._wait(
                    lambda: signer.activated or signer.activation_claimed,
                    deadline - workflow.now(),
                    f"activation of signer {signer.index + 1}",
                )
            except TimeoutError:
                raise LifecycleEnded(
                    SigningOutcome(
                        status=OutcomeStatus.ACTIVATION_EXPIRED,
                        reason="activation_deadline",
                        detail=f"signer {signer.index + 1} did not activate in time",
                        signer_index=signer.index,
                    )
                ) from None
            if signer.activated:
                break
            await self._confirm_activation(signer)
        signer.stage = SignerStage.ACTIVE
        self._refresh()

    async def _register(self, signer: SignerState) -> None:
        signer.stage = SignerStage.REGISTERING
        self._refresh()
        result: RegisterResult = await self._call(
            f"register signer {signer.index + 1}",
            DigisignActivities.register,
            RegisterInput(registrant=signer.registrant()),
            policies.DIGISIGN_SLOW,
            signer=signer.index,
        )
        signer.registration = result.kind
        signer.certificate_expired = False
        if result.kind.needs_activation:
            signer.activated = False
            signer.await_(SignerStage.AWAITING_ACTIVATION, workflow.now())
            timeout = self._policy.activation_timeout
            signer.activation_deadline = (
                workflow.now() + timeout if timeout is not None else result.expired_aktifasi
            )
        else:
            signer.activated = True
            signer.stage = SignerStage.ACTIVE

    async def _confirm_activation(self, signer: SignerState) -> None:
        """Ask Digisign whether a signer redirected as activated really is.

        A redirect proves nothing by itself: its `msg` is AES/ECB, which authenticates
        nothing, and splicing 16-byte blocks of real `msg`s makes new valid ones. So
        the workflow asks for a fresh activation link: `14` "already activated" is the
        proof. A fresh link means the redirect was false (or early): the new link is
        published and the wait goes on; Digisign's second delivery of a real redirect
        asks again.
        """
        signer.activation_claimed = False  # a claim arriving during the call asks again
        if await self._issue_activation_link(signer) is not None:
            self._unconfirmed("activation", signer)

    async def _issue_activation_link(self, signer: SignerState) -> LinkResponse | None:
        """Get a fresh activation link and publish it; None if the signer is already active."""
        result = await self._call(
            f"activation link for signer {signer.index + 1}",
            DigisignActivities.activation_link,
            ActivationLinkInput(email=signer.email),
            policies.DIGISIGN_FAST,
            signer=signer.index,
        )
        if result.already_active or result.link is None:
            signer.activated = True
            self._refresh()
            return None
        link = LinkResponse(
            link=result.link, expires_at=workflow.now() + policies.ACTIVATION_LINK_TTL
        )
        signer.activation_link = link
        self._refresh()
        await self._notify("activation_link", signer=signer, link=link)
        return link

    async def _send(self) -> None:
        """Send the document once; a `15` re-registers the signers and sends again."""
        self._set_stage(Stage.SENDING)
        request = self._state.request
        reconcile = False
        while True:

            def send_input(reconcile: bool) -> SendInput:
                return SendInput(
                    document_id=request.document_id,
                    document=request.document,
                    req_sign=tuple(self._req_sign()),
                    send_to=request.viewers,
                    sequence_option=request.sequence_option or None,
                    payment=request.payment,
                    meterai_positions=request.meterai_positions,
                    document_type=request.document_type,
                    branch=request.branch,
                    reconcile=reconcile,
                )

            try:
                await self._call(
                    "send the document",
                    DigisignActivities.send_document,
                    send_input(reconcile),
                    policies.DIGISIGN_SLOW,
                    # `91` on a send may come after Digisign stored it: check before resending.
                    again=lambda: send_input(True),
                )
                return
            except DigisignFailure as failure:
                if failure.kind not in ("CertificateExpired", "CertificateRevoked"):
                    raise
            # Digisign does not say whose certificate; registering again is free for
            # signers whose certificate is valid, and renews the one that is not.
            workflow.logger.info("a signer's certificate is invalid: registering signers again")
            await _all(self._reregister(s) for s in self._state.signers)
            self._set_stage(Stage.SENDING)

    def _req_sign(self) -> list[Signer]:
        return [
            Signer(
                name=s.input.name,
                email=s.email,
                box=signature.box,
                user=signature.user,
                visible=signature.visible,
                signing_seq=s.input.signing_seq if self._state.request.sequence_option else None,
            )
            for s in self._state.signers
            for signature in s.input.signatures
        ]

    async def _reregister(self, signer: SignerState) -> None:
        """Register a signer again (expired certificate), and activate if Digisign asks."""
        signer.re_registrations += 1
        await self._onboard(signer)

    async def _collect_signature(self, signer: SignerState) -> None:
        """Wait for one signer's signature, with fresh links and re-registration as needed."""
        deadline = workflow.now() + self._policy.signing_timeout
        while not signer.signed:
            if signer.rejected:
                self._end_rejected(signer)
            if signer.certificate_expired:
                await self._reregister(signer)
                continue
            if signer.stage is not SignerStage.AWAITING_SIGNATURE:
                signer.await_(SignerStage.AWAITING_SIGNATURE, workflow.now())
                self._refresh()
            # Asking for a link is also how a redirect is confirmed (a redirect proves
            # nothing by itself, see `_confirm_activation`): after a signature Digisign
            # answers "telah menandatangani" (already signed), after a refusal it offers
            # no link (a `05`); a fresh link means neither happened.
            rejection = signer.rejection_claimed
            claimed = signer.signature_claimed or rejection
            signer.signature_claimed = signer.rejection_claimed = False
            try:
                if await self._issue_sign_link(signer) is None:
                    continue
            except DigisignFailure as failure:
                if not (rejection and failure.kind == "NotFound"):
                    raise
                signer.rejected = True  # the refusal is confirmed: ended at the loop's top
                continue
            if claimed:
                self._unconfirmed("rejection" if rejection else "signature", signer)
            try:
                await self._wait(
                    lambda: (
                        signer.signed
                        or signer.signature_claimed
                        or signer.rejection_claimed
                        or signer.rejected
                        or signer.certificate_expired
                    ),
                    deadline - workflow.now(),
                    f"signature of signer {signer.index + 1}",
                )
            except TimeoutError:
                raise LifecycleEnded(
                    SigningOutcome(
                        status=OutcomeStatus.SIGNING_EXPIRED,
                        reason="signing_deadline",
                        detail=f"signer {signer.index + 1} did not sign in time",
                        signer_index=signer.index,
                    )
                ) from None
        if signer.rejected:
            self._end_rejected(signer)
        signer.stage = SignerStage.SIGNED
        self._refresh()

    def _unconfirmed(self, what: str, signer: SignerState) -> None:
        """A redirect Digisign does not confirm: forged, replayed, or ahead of Digisign."""
        workflow.logger.warning(
            "%s redirect for signer %d not confirmed by Digisign: a fresh link was issued",
            what,
            signer.index + 1,
        )
        workflow.metric_meter().create_counter(
            "signflow_unconfirmed_redirects",
            "Redirects that Digisign did not confirm (forged, replayed or early)",
        ).add(1, {"kind": what})

    def _end_rejected(self, signer: SignerState) -> None:
        signer.stage = SignerStage.REJECTED
        raise LifecycleEnded(
            SigningOutcome(
                status=OutcomeStatus.REJECTED,
                reason="rejected_by_signer",
                detail=f"signer {signer.index + 1} refused to sign",
                signer_index=signer.index,
            )
        )

    async def _issue_sign_link(self, signer: SignerState) -> LinkResponse | None:
        """Get a fresh sign link and publish it; None if the signer already signed."""
        while True:
            try:
                result = await self._call(
                    f"sign link for signer {signer.index + 1}",
                    DigisignActivities.sign_link,
                    SignLinkInput(document_id=self._state.request.document_id, email=signer.email),
                    policies.DIGISIGN_FAST,
                    signer=signer.index,
                )
                break
            except DigisignFailure as failure:
                if failure.kind != "NotFound" or failure.details.reason != "not_yet_their_turn":
                    raise
            # Digisign has not registered the previous signature yet (its redirect
            # reached us first): ask again shortly.
            await workflow.sleep(
                policies.NOT_YET_THEIR_TURN_DELAY,
                summary="previous signature not yet at Digisign",
            )
        if result.already_signed or result.link is None:
            signer.signed = True
            return None
        link = LinkResponse(link=result.link, expires_at=workflow.now() + policies.SIGN_LINK_TTL)
        signer.sign_link = link
        self._refresh()
        await self._notify("sign_link", signer=signer, link=link)
        return link

    # --- Digisign calls, waits, notifications ----------------------------------------

    async def _call(
        self,
        what: str,
        activity: Callable[[Any, A], Awaitable[T]],
        arg: A,
        config: workflow.ActivityConfig,
        *,
        signer: int | None = None,
        again: Callable[[], A] | None = None,
    ) -> T:
        """Run a Digisign activity; on `91` wait `retry_later_delay` on a durable timer.

        Raises:
            DigisignFailure: the activity failed for good (permanent error, or
                transient errors past its policy's bound).
            LifecycleEnded: `91` kept coming past the policy's attempts or deadline.
        """
        started = workflow.now()
        answers = 0
        while True:
            try:
                result = await workflow.execute_activity_method(
                    activity, arg, summary=what, **_options(config)
                )
                if answers:
                    self._state.note = ""
                    self._refresh()
                return result
            except ActivityError as err:
                failure = DigisignFailure.of(err, what, signer)
                if failure.kind != RETRY_LATER:
                    raise failure from None
            answers += 1
            self._state.retry_later_waits += 1
            workflow.metric_meter().create_counter(
                "signflow_retry_later_waits", "Ten-minute waits after Digisign answered 91"
            ).add(1, {"activity": _activity_name(activity)})
            retry_at = workflow.now() + self._policy.retry_later_delay
            if (
                answers >= self._policy.retry_later_max_attempts
                or retry_at - started > self._policy.retry_later_deadline
            ):
                raise LifecycleEnded(failure.outcome())
            summary = f"Digisign busy (91): retry at {retry_at:%H:%M} UTC"
            self._state.note = f"{what}: {summary}"
            self._refresh()
            workflow.logger.info("%s: Digisign answered 91, waiting", what)
            await workflow.sleep(self._policy.retry_later_delay, summary=summary)
            if again is not None:
                arg = again()

    async def _wait(self, condition: Callable[[], bool], limit: timedelta, what: str) -> None:
        """Wait for `condition` at most `limit`; raises `TimeoutError` when it passes."""
        if limit <= timedelta(0):
            if condition():
                return
            raise TimeoutError(what)
        await workflow.wait_condition(condition, timeout=limit, timeout_summary=what)

    async def _notify(
        self,
        event: str,
        *,
        signer: SignerState | None = None,
        link: LinkResponse | None = None,
        outcome: SigningOutcome | None = None,
    ) -> None:
        """Tell the LOS, if it gave a callback URL. Best effort: never ends the lifecycle."""
        request = self._state.request
        if request.los_callback_url is None:
            return
        notification = NotifyInput(
            url=request.los_callback_url,
            event=event,
            loan_id=request.loan_id,
            document_id=request.document_id,
            signer_index=signer.index if signer else None,
            email=signer.email if signer else None,
            link=link.link if link else None,
            expires_at=link.expires_at if link else None,
            outcome=outcome.status.value if outcome else None,
            signed_document=(
                outcome.signed_document.ref if outcome and outcome.signed_document else None
            ),
        )
        try:
            await workflow.execute_activity_method(
                LosActivities.notify,
                notification,
                summary=f"notify the LOS: {event}",
                **_options(policies.LOS_NOTIFY),
            )
        except ActivityError:
            workflow.logger.warning("the LOS could not be notified of %s", event)

    # --- what the outside sees ----------------------------------------------------------

    def _set_stage(self, stage: Stage) -> None:
        self._state.stage = stage
        self._refresh()

    def _refresh(self) -> None:
        """Keep search attributes and the UI's current details in step with the state."""
        state = self._state
        if state.stage in (Stage.REGISTERING, Stage.AWAITING_ACTIVATION):
            # Signers onboard in parallel: registering while anyone still registers.
            stages = {s.stage for s in state.signers}
            waiting = SignerStage.AWAITING_ACTIVATION in stages
            registering = stages & {SignerStage.PENDING, SignerStage.REGISTERING}
            state.stage = (
                Stage.AWAITING_ACTIVATION if waiting and not registering else Stage.REGISTERING
            )
        hashes = sorted({names.email_hash(s.email) for s in state.signers})
        shown = (state.stage, state.pending_signers, tuple(hashes))
        if shown != self._shown:
            updates: list[SearchAttributeUpdate[Any]] = [
                names.SIGNING_STAGE.value_set(state.stage.value),
                names.PENDING_SIGNERS.value_set(state.pending_signers),
                names.SIGNER_EMAIL_HASHES.value_set(hashes),
            ]
            if not self._shown:
                updates += [
                    names.LOAN_ID.value_set(state.request.loan_id),
                    names.DOCUMENT_ID.value_set(state.request.document_id),
                ]
            workflow.upsert_search_attributes(updates)
            self._shown = shown
        workflow.set_current_details(state.details())

    @workflow.query(name=names.QUERY_STATUS, description="The lifecycle's whole state.")
    def status(self) -> SigningStatus:
        """Stage, each signer's state and current links, 91 waits, outcome."""
        return self._state.status()

    # --- signals: Digisign's redirects, relayed by the gateway ------------------------

    @workflow.signal(
        name=names.SIGNAL_ACTIVATED,
        description="Digisign redirected a signer after activation (sent by the gateway).",
    )
    def activated(self, signal: ActivatedSignal) -> None:
        """Mark a signer active. Duplicates change nothing; strangers are logged."""
        signer = self._state.signer(signal.email)
        if signer is None:
            workflow.logger.warning("activation signal for an e-mail that is not a signer")
            return
        if not self._confirm:
            signer.activated = True  # lifecycles started before CONFIRM_REDIRECTS
        elif not signer.activated:
            signer.activation_claimed = True  # confirmed with Digisign by the lifecycle

    @workflow.signal(
        name=names.SIGNAL_SIGNED,
        description="Digisign redirected a signer after signing or rejecting (gateway).",
    )
    def signed(self, signal: SignedSignal) -> None:
        """Record a signature or rejection, even before the signer's turn (kept for then)."""
        if signal.document_id != self._state.request.document_id:
            workflow.logger.warning("sign signal for another document ignored")
            return
        signer = self._state.signer(signal.email)
        if signer is None:
            workflow.logger.warning("sign signal for an e-mail that is not a signer ignored")
            return
        if signer.signed or signer.rejected:
            return  # Digisign delivers every redirect twice.
        if self._confirm:  # a claim, confirmed with Digisign by the lifecycle
            if signal.rejected:
                signer.rejection_claimed = True
            else:
                signer.signature_claimed = True
            return
        # Lifecycles started before CONFIRM_REDIRECTS take the redirect's word.
        if signal.rejected:
            signer.rejected = True
        else:
            signer.signed = True
        self._refresh()

    @workflow.signal(
        name=names.SIGNAL_CERTIFICATE_EXPIRED,
        description="A signer's certificate expired or was revoked: register them again.",
    )
    def certificate_expired(self, signal: CertificateExpiredSignal) -> None:
        """Branch the signer into re-registration at their next step."""
        signer = self._state.signer(signal.email)
        if signer is None or signer.signed:
            return
        signer.certificate_expired = True

    # --- updates: callers who need an answer ------------------------------------------

    @workflow.update(
        name=names.UPDATE_FRESH_ACTIVATION_LINK,
        description="Issue a fresh single-use activation link for a signer (7 minutes).",
    )
    async def fresh_activation_link(self, request: LinkRequest) -> LinkResponse:
        """A new activation link; the old one stops mattering."""
        signer = self._signer_in(request.email, SignerStage.AWAITING_ACTIVATION)
        with _update_failures():
            link = await self._issue_activation_link(signer)
        if link is None:
            raise ApplicationError("the signer is already active", type="AlreadyActive")
        return link

    @fresh_activation_link.validator
    def _validate_fresh_activation_link(self, request: LinkRequest) -> None:
        self._signer_in(request.email, SignerStage.AWAITING_ACTIVATION)

    @workflow.update(
        name=names.UPDATE_FRESH_SIGN_LINK,
        description="Issue a fresh single-use sign link for the signer whose turn it is.",
    )
    async def fresh_sign_link(self, request: LinkRequest) -> LinkResponse:
        """A new sign link (they live 20 minutes)."""
        signer = self._signer_in(request.email, SignerStage.AWAITING_SIGNATURE)
        with _update_failures():
            link = await self._issue_sign_link(signer)
        if link is None:
            raise ApplicationError("the signer has already signed", type="AlreadySigned")
        return link

    @fresh_sign_link.validator
    def _validate_fresh_sign_link(self, request: LinkRequest) -> None:
        self._signer_in(request.email, SignerStage.AWAITING_SIGNATURE)

    @workflow.update(
        name=names.UPDATE_CHANGE_CONTACT,
        description="Correct a signer's e-mail/phone before activation; returns a new link.",
    )
    async def change_contact(self, change: ContactChange) -> LinkResponse:
        """UPDATE-EP at Digisign, then a fresh activation link to the corrected contact."""
        signer = self._signer_in(change.email, SignerStage.AWAITING_ACTIVATION)
        new_email = change.new_email or signer.email
        new_phone = change.new_phone or signer.phone
        with _update_failures():
            await self._call(
                f"change contact of signer {signer.index + 1}",
                DigisignActivities.change_contact,
                ContactChangeInput(
                    old_email=signer.email,
                    new_email=new_email,
                    old_phone=signer.phone,
                    new_phone=new_phone,
                ),
                policies.DIGISIGN_FAST,
                signer=signer.index,
            )
            signer.email, signer.phone = new_email, new_phone
            self._refresh()
            link = await self._issue_activation_link(signer)
        if link is None:
            raise ApplicationError("the signer is already active", type="AlreadyActive")
        return link

    @change_contact.validator
    def _validate_change_contact(self, change: ContactChange) -> None:
        self._signer_in(change.email, SignerStage.AWAITING_ACTIVATION)
        if change.new_email is not None:
            other = self._state.signer(change.new_email)
            if other is not None and other.email.lower() != change.email.lower():
                raise ValueError("new_email belongs to another signer of this document")

    @workflow.update(
        name=names.UPDATE_REPORT_CERTIFICATE_EXPIRED,
        description="Report that a signer's certificate expired: they are registered again.",
    )
    def report_certificate_expired(self, request: LinkRequest) -> Ack:
        """Branch the signer into re-registration."""
        signer = self._state.signer(request.email)
        if signer is not None:  # the validator made sure; the check is for the type
            signer.certificate_expired = True
        return Ack()

    @report_certificate_expired.validator
    def _validate_report_certificate_expired(self, request: LinkRequest) -> None:
        signer = self._state.signer(request.email)
        if signer is None:
            raise ValueError("email: not a signer of this document")
        if signer.signed:
            raise ValueError("email: this signer has already signed")
        self._ensure_running()

    @workflow.update(name=names.UPDATE_CANCEL, description="End the lifecycle as cancelled.")
    def cancel(self, request: CancelRequest) -> Ack:
        """Cancel: in-flight work is cancelled and the outcome is `cancelled`."""
        self._cancel_reason = request.reason
        if self._main is not None:
            self._main.cancel()
        return Ack()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._ensure_running()

    def _signer_in(self, email: str, stage: SignerStage) -> SignerState:
        """The signer with `email`, who must be at `stage`; else a validation error."""
        self._ensure_running()
        signer = self._state.signer(email)
        if signer is None:
            raise ValueError("email: not a signer of this document")
        if signer.stage is not stage:
            raise ValueError(f"email: the signer is {signer.stage.value}, not {stage.value}")
        return signer

    def _ensure_running(self) -> None:
        if self._state.outcome is not None or self._cancel_reason is not None:
            raise ValueError("the lifecycle has ended")


@contextmanager
def _update_failures() -> Iterator[None]:
    """Turn lifecycle-internal failures into an update's failure, not a stuck workflow task.

    An exception other than `ApplicationError` raised in an update handler fails the
    workflow task (retried forever); the caller must get an answer instead.
    """
    try:
        yield
    except DigisignFailure as failure:
        raise ApplicationError(
            f"{failure.step}: Digisign refused ({failure.kind})",
            failure.details.model_dump(mode="json"),
            type=failure.kind,
            non_retryable=True,
        ) from None
    except LifecycleEnded as ended:
        raise ApplicationError(
            f"Digisign did not answer: {ended.outcome.detail}",
            type=ended.outcome.reason or "LifecycleEnded",
            non_retryable=True,
        ) from None


def _activity_name(activity: Callable[..., Any]) -> str:
    """The registered activity name (e.g. `digisign.register`), for metric labels."""
    defn = getattr(activity, "__temporal_activity_definition", None)
    return str(getattr(defn, "name", getattr(activity, "__name__", "activity")))


class _Options(TypedDict):
    start_to_close_timeout: timedelta | None
    schedule_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None


def _options(config: workflow.ActivityConfig) -> _Options:
    """The policy constants as keyword arguments mypy can check against the SDK."""
    return _Options(
        start_to_close_timeout=config.get("start_to_close_timeout"),
        schedule_to_close_timeout=config.get("schedule_to_close_timeout"),
        retry_policy=config.get("retry_policy"),
    )


async def _all(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run coroutines together; the first failure cancels the others and is raised."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    except (Exception, asyncio.CancelledError):
        # Not BaseException: GeneratorExit (the worker evicting this workflow from its
        # cache) must pass straight through, without awaiting anything.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
