"""`signflow`: one command line for every process and the operator's tasks.

    signflow dev [--keep-running]   the embedded default, end to end (the README's demo)
    signflow worker                 the Temporal worker
    signflow gateway                the HTTP edge (loan events, redirects, status, codec)
    signflow sandbox [args]         the local Digisign (`python -m sandbox --help`)
    signflow start EVENT.json       start a lifecycle from a loan event file
    signflow status DOCUMENT_ID     a lifecycle's state, as JSON
    signflow decode MSG             decrypt a Digisign redirect `msg` (support staff)
    signflow search-attributes      register signflow's search attributes (once per namespace)

Settings come from `SIGNFLOW_*` environment variables or `.env` (workers/settings.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workers.logging import configure_logging
from workers.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from temporalio.client import Client


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(prog="signflow", description=__doc__.split("\n\n")[0])
    commands = cli.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="run the embedded default and sign a demo loan")
    dev.add_argument(
        "--keep-running",
        action="store_true",
        help="leave everything running after the demo (Ctrl-C to stop)",
    )
    dev.add_argument("--data-dir", type=Path, default=Path("var/dev"), help="state and blobs")
    dev.add_argument("--loans", type=int, default=1, help="how many loans to sign at once")
    dev.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help='sandbox fault profile, e.g. "retry_later=0.2,server_error=0.05" (repeatable)',
    )
    dev.add_argument(
        "--retry-later-seconds",
        type=int,
        help="the wait after Digisign's 91 (default: 600, as Digisign asks)",
    )
    commands.add_parser("worker", help="run the Temporal worker")
    commands.add_parser("gateway", help="run the HTTP gateway")
    sandbox = commands.add_parser("sandbox", help="run the Digisign sandbox", add_help=False)
    sandbox.add_argument("args", nargs=argparse.REMAINDER)
    start = commands.add_parser("start", help="start a lifecycle from a loan event JSON file")
    start.add_argument("event", type=Path)
    status = commands.add_parser("status", help="print a lifecycle's state")
    status.add_argument("document_id")
    decode = commands.add_parser("decode", help="decrypt a Digisign redirect msg")
    decode.add_argument("msg")
    commands.add_parser(
        "search-attributes",
        help="register signflow's search attributes in the configured namespace",
        description=SEARCH_ATTRIBUTES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return cli


SEARCH_ATTRIBUTES_HELP = """\
Register signflow's custom search attributes (LoanId, DocumentId, SigningStage,
PendingSigners, SignerEmailHashes) in SIGNFLOW_TEMPORAL_NAMESPACE through the
operator service. Safe to run again: attributes already registered with the same
type are left alone; one registered with another type is an error, and then
nothing is changed.

Temporal Cloud does not take this call: register the attributes with its own
control plane, `tcld namespace search-attributes add` or the Cloud UI."""


ONE_SHOT = frozenset({"start", "status", "search-attributes"})
"""Commands that talk to Temporal once and end."""


def entry() -> None:
    """The `signflow` console script: `main`, then exit with its status.

    After a one-shot Temporal command, the SDK's Rust runtime can abort the
    interpreter's finalization (`PyGILState_Release`), turning a success into a
    SIGABRT. Everything is done and flushed by then, so those commands leave at once.
    """
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] in ONE_SHOT:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["sandbox"]:
        # Everything after `sandbox` is the sandbox's own (argparse's REMAINDER drops
        # leading options such as `--port` inside a subcommand).
        from sandbox.cli import main as sandbox_main

        return sandbox_main(given[1:])
    args = parser().parse_args(given)
    if args.command == "sandbox":
        from sandbox.cli import main as sandbox_main

        return sandbox_main(args.args)
    if args.command == "dev":
        from workers.dev import DevOptions, run_dev

        options = DevOptions(
            loans=args.loans, faults=tuple(args.fault), retry_later_seconds=args.retry_later_seconds
        )
        return asyncio.run(
            run_dev(
                data_dir=args.data_dir.resolve(), keep_running=args.keep_running, options=options
            )
        )
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"signflow: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level)
    if args.command == "worker":
        from workers.runtime import run_worker

        try:
            asyncio.run(run_worker(settings))
        except SettingsError as exc:
            print(f"signflow: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "gateway":
        from workers.gateway import serve_gateway

        asyncio.run(serve_gateway(settings))
        return 0
    if args.command == "start":
        return asyncio.run(_start(settings, args.event))
    if args.command == "status":
        return asyncio.run(_status(settings, args.document_id))
    if args.command == "decode":
        return _decode(settings, args.msg)
    if args.command == "search-attributes":
        return asyncio.run(_search_attributes(settings))
    return 2  # pragma: no cover - argparse refuses unknown commands


async def _start(settings: Settings, event: Path) -> int:
    from gateway.cli import EventFileError, describe, start_from_file
    from gateway.intake import IntakeConflict
    from gateway.temporal import TemporalUnavailable
    from workers.gateway import gateway_config
    from workers.runtime import connect

    try:
        client = await connect(settings)
        result = await start_from_file(client, gateway_config(settings), event)
    except (EventFileError, IntakeConflict, TemporalUnavailable, RuntimeError) as exc:
        print(f"signflow: {exc}", file=sys.stderr)
        return 1
    print(describe(result))
    return 0


async def _status(settings: Settings, document_id: str) -> int:
    from temporalio.service import RPCError

    from workers.runtime import connect
    from workflows.names import workflow_id
    from workflows.signing import SigningWorkflow

    client = await connect(settings)
    try:
        status = await client.get_workflow_handle(workflow_id(document_id)).query(
            SigningWorkflow.status
        )
    except RPCError as exc:
        print(f"signflow: no lifecycle for document {document_id}: {exc.message}", file=sys.stderr)
        return 1
    print(status.model_dump_json(indent=2))
    return 0


async def _search_attributes(settings: Settings) -> int:
    from workers.runtime import connect

    try:
        client = await connect(settings)
    except RuntimeError as exc:  # the server is unreachable
        print(f"signflow: {exc}", file=sys.stderr)
        return 1
    return await register_search_attributes(client, settings.temporal_namespace)


async def register_search_attributes(client: Client, namespace: str) -> int:
    """Register the missing search attributes in `namespace`, print what was done; the exit status.

    Nothing is changed when one exists with another type: a lifecycle would fail to
    upsert it, and the operator must decide (rename, or a new namespace).
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.names import SEARCH_ATTRIBUTES

    wanted = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in SEARCH_ATTRIBUTES
    }
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = {**listed.system_attributes, **listed.custom_attributes}
        conflicts = [
            f"{name} is registered as {_type_name(existing[name])}, "
            f"signflow needs {_type_name(kind)}"
            for name, kind in wanted.items()
            if name in existing and existing[name] != kind
        ]
        if conflicts:
            print(
                f"signflow: search attributes of namespace {namespace} conflict; "
                "nothing was changed:\n  " + "\n  ".join(conflicts),
                file=sys.stderr,
            )
            return 1
        missing = {name: kind for name, kind in wanted.items() if name not in existing}
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
    except RPCError as exc:
        refused = (
            RPCStatusCode.PERMISSION_DENIED,
            RPCStatusCode.UNAUTHENTICATED,
            RPCStatusCode.UNIMPLEMENTED,
        )
        if exc.status not in refused:
            print(f"signflow: cannot register search attributes: {exc.message}", file=sys.stderr)
            return 1
        print(
            f"signflow: the server refused to manage search attributes ({exc.message}).\n"
            "On Temporal Cloud, register them with its control plane instead, "
            "`tcld namespace search-attributes add` or the Cloud UI:\n  "
            + "\n  ".join(f"{name}={_type_name(kind)}" for name, kind in wanted.items()),
            file=sys.stderr,
        )
        return 1
    print(f"search attributes of namespace {namespace}:")
    for name, kind in wanted.items():
        done = "registered" if name in missing else "already registered"
        print(f"  {name} ({_type_name(kind)}): {done}")
    return 0


def _type_name(kind: int) -> str:
    """`Keyword` for INDEXED_VALUE_TYPE_KEYWORD, as `temporal` and tcld spell it."""
    from temporalio.api.enums.v1 import IndexedValueType

    name = IndexedValueType.Name(IndexedValueType.ValueType(kind))
    return name.removeprefix("INDEXED_VALUE_TYPE_").title().replace("_", "")


def _decode(settings: Settings, msg: str) -> int:
    """Decrypt a redirect msg; the NIK is masked even for support staff."""
    from digisign.cipher import RedirectCipher
    from digisign.errors import RedirectError

    cipher = RedirectCipher(settings.digisign_aes_key.get_secret_value())
    try:
        plaintext = cipher.decrypt(msg)
        data = json.loads(plaintext)
    except (RedirectError, ValueError) as exc:
        print(f"signflow: cannot decode: {exc}", file=sys.stderr)
        return 1
    if isinstance(data, dict):
        inner = data.get("JSONFile", data)
        if isinstance(inner, dict) and isinstance(inner.get("nik"), str):
            inner["nik"] = inner["nik"][:4] + "*" * max(len(inner["nik"]) - 4, 0)
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
