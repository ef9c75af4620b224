"""The sandbox's state survives a restart on the same file."""

from __future__ import annotations

from pathlib import Path

import httpx

from digisign.client import DigisignClient
from digisign.requests import DownloadRequest
from digisign.results import RegistrationKind
from sandbox import pdf
from sandbox.robot import SignerRobot
from tests.integration import flows, harness
from tests.integration.harness import Admin, People, Receiver


async def test_users_documents_links_and_charges_survive_a_restart(
    receiver: Receiver, people: People, sample_pdf: bytes, tmp_path: Path
) -> None:
    state = str(tmp_path / "var" / "sandbox.db")
    first, second = people(), people()
    with harness.start_sandbox(receiver, state=state) as before_restart:
        async with httpx.AsyncClient(timeout=10) as http:
            digisign = DigisignClient(before_restart.client_config(), http=http)
            robot = SignerRobot(http)
            for person in (first, second):
                await flows.onboard(digisign, robot, person)
            signers = [flows.signer(first, 0, seq=1), flows.signer(second, 1, seq=2)]
            await flows.send(digisign, "doc-1", sample_pdf, signers, sequence_option=True)
            await flows.sign(digisign, robot, "doc-1", first)
            link = await flows.sign_link(digisign, "doc-1", second)
            totals = await Admin(http, before_restart.base_url).totals()
    assert (tmp_path / "var" / "sandbox.db").exists()

    with harness.start_sandbox(receiver, state=state) as restarted:
        async with httpx.AsyncClient(timeout=10) as http:
            digisign = DigisignClient(restarted.client_config(), http=http)
            again = await flows.register(digisign, first)
            assert again.kind is RegistrationKind.ALREADY_ACTIVE
            current = await digisign.download(DownloadRequest(document_id="doc-1"))
            assert first.name in pdf.page_text(current.content, 2)
            # The link came from the first server; its session lives on in the file.
            moved = link.replace(before_restart.base_url, restarted.base_url)
            assert (await SignerRobot(http).sign(moved)).msg is not None
            assert await Admin(http, restarted.base_url).totals() == totals
            document = await Admin(http, restarted.base_url).get("documents/doc-1")
            assert document["status"] == "complete"
