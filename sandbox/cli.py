"""``python -m sandbox``: run the Digisign sandbox on uvicorn.

Example::

    python -m sandbox --host 127.0.0.1 --port 8081 --state var/sandbox.db --seed 1 \\
        --fault "retry_later=0.2" --fault "register:drop_after=0.05" \\
        --config sandbox.toml --public-url http://127.0.0.1:8081 --no-server-redirects

Command-line options win over the configuration file. With neither, one default
partner exists; its credentials are printed at startup (it is a sandbox).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import uvicorn
from pydantic import ValidationError

from sandbox.app import create_app, fault_plan
from sandbox.config import SandboxConfig, config_from_mapping

DEFAULT_STATE = "var/sandbox.db"


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A local Digisign (API EXT-AT 3.0.4) for development, tests and demos.",
    )
    cli.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    cli.add_argument("--port", type=int, help="port to listen on (default 8081)")
    cli.add_argument(
        "--state",
        help=f"SQLite state file, or :memory: (default {DEFAULT_STATE})",
    )
    cli.add_argument("--seed", type=int, help="seed of the fault decisions (default 0)")
    cli.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help='fault settings, e.g. "retry_later=0.2,latency_ms=50" or "register:drop_after=0.05"'
        " (repeatable)",
    )
    cli.add_argument("--config", type=Path, help="TOML configuration file (see sandbox/README.md)")
    cli.add_argument("--public-url", help="base URL of the links handed out")
    cli.add_argument(
        "--no-server-redirects",
        dest="server_redirects",
        action="store_const",
        const=False,
        help="only redirect the browser; do not also call redirect URLs from the server",
    )
    cli.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return cli


def build_config(args: argparse.Namespace) -> SandboxConfig:
    """The configuration: the file (if any), then the command line on top.

    Raises:
        OSError, tomllib.TOMLDecodeError, pydantic.ValidationError: a bad file or value.
    """
    overrides: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "state": args.state,
        "seed": args.seed,
        "public_url": args.public_url,
        "server_redirects": args.server_redirects,
    }
    data: dict[str, Any] = {}
    if args.config is not None:
        with args.config.open("rb") as file:
            data = tomllib.load(file)
    if args.state is None and "state" not in data:
        overrides["state"] = DEFAULT_STATE
    return config_from_mapping(data, **overrides)


def describe(config: SandboxConfig, out: TextIO) -> None:
    """Print where the sandbox listens and every partner's credentials."""
    base = config.public_url or f"http://{config.host}:{config.port}"
    print(f"Digisign sandbox on {base}", file=out)
    print(f"  state: {config.state}   seed: {config.seed}", file=out)
    print(f"  server-side redirects: {'on' if config.server_redirects else 'off'}", file=out)
    print(f"  admin API: {base}/_sandbox/  (API docs: {base}/docs)", file=out)
    # A sandbox: its credentials are meant to be copied into a client's settings, by a
    # person at a terminal. Written to a log file they would be secrets in a log.
    show = out.isatty()
    for partner in config.partners:
        print(f"  partner {partner.userid}", file=out)
        print(f"    token:   {partner.token if show else '(not logged)'}", file=out)
        print(f"    aes_key: {partner.aes_key if show else '(not logged)'}", file=out)
        print(f"    activation redirect: {partner.activation_redirect_url or '-'}", file=out)
        print(f"    sign redirect:       {partner.sign_redirect_url or '-'}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until interrupted; the exit status."""
    args = parser().parse_args(argv)
    try:
        config = build_config(args)
        plan = fault_plan(config, args.fault)
    except (OSError, tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(config, faults=plan)
    describe(config, sys.stdout)
    sys.stdout.flush()
    uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level)
    return 0
