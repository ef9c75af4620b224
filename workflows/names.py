"""Names shared by the workflow and everyone who talks to it (gateway, CLI, tests).

A renamed signal or search attribute breaks running lifecycles and the gateway at
once, so the strings live here and nowhere else.
"""

from __future__ import annotations

import hashlib

from temporalio.common import SearchAttributeKey

TASK_QUEUE = "signflow-signing"
WORKFLOW_NAME = "SigningWorkflow"
WORKFLOW_ID_PREFIX = "signing-"

SIGNAL_ACTIVATED = "activated"
SIGNAL_SIGNED = "signed"
SIGNAL_CERTIFICATE_EXPIRED = "certificate_expired"
UPDATE_FRESH_ACTIVATION_LINK = "fresh_activation_link"
UPDATE_FRESH_SIGN_LINK = "fresh_sign_link"
UPDATE_CHANGE_CONTACT = "change_contact"
UPDATE_REPORT_CERTIFICATE_EXPIRED = "report_certificate_expired"
UPDATE_CANCEL = "cancel"
QUERY_STATUS = "status"

# Custom search attributes. None carries personal data: e-mails appear only hashed.
LOAN_ID = SearchAttributeKey.for_keyword("LoanId")
DOCUMENT_ID = SearchAttributeKey.for_keyword("DocumentId")
SIGNING_STAGE = SearchAttributeKey.for_keyword("SigningStage")
PENDING_SIGNERS = SearchAttributeKey.for_int("PendingSigners")
SIGNER_EMAIL_HASHES = SearchAttributeKey.for_keyword_list("SignerEmailHashes")

SEARCH_ATTRIBUTES = (LOAN_ID, DOCUMENT_ID, SIGNING_STAGE, PENDING_SIGNERS, SIGNER_EMAIL_HASHES)
"""Every custom search attribute, for registration at the server."""


def workflow_id(document_id: str) -> str:
    """The lifecycle's workflow id: one per document, so starts are idempotent."""
    return f"{WORKFLOW_ID_PREFIX}{document_id}"


def email_hash(email: str) -> str:
    """A pseudonymous, stable key for an e-mail address, fit for a search attribute.

    The gateway hashes the e-mail of an activation redirect the same way to find
    every lifecycle waiting for that signer. Case and surrounding spaces are ignored,
    as Digisign ignores them.
    """
    normalised = email.strip().lower().encode("utf-8")
    return hashlib.sha256(b"signflow-email:" + normalised).hexdigest()[:32]
