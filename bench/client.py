"""Client benchmark: requests/s of `DigisignClient.activation_link` against the sandbox
versus raw httpx posting the same multipart request to the same endpoint.

    .venv/bin/python -m bench.client [--seconds 1] [--rounds 10] [--concurrency 8]

The sandbox runs as a child process (`python -m sandbox`, state in memory) so the
server does not share the client's interpreter. Rounds alternate client / raw, and
the median of each is reported. The ratio is the median of the per-round ratios
client/raw (each pair of rounds ran back to back, so it sees the same machine load);
1.0 means the client costs nothing beyond the HTTP request itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from bench.common import bench_dir, children, machine, start_sandbox, table
from digisign.client import DigisignClient, DigisignConfig
from digisign.requests import ActivationLinkRequest, RegisterRequest
from sandbox.config import DEFAULT_TOKEN, DEFAULT_USERID
from workers.dev import PHOTO

EMAIL = "bench.signer@borrower.test"


async def _rate(call: Callable[[], Awaitable[None]], seconds: float, concurrency: int) -> float:
    """Completed calls per second, `concurrency` callers for `seconds`."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def run(seconds: float, rounds: int, concurrency: int) -> None:
    with children(bench_dir("client") / "logs") as running:
        base = await start_sandbox(running)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:
            digisign = DigisignClient(
                DigisignConfig(base_url=base, token=DEFAULT_TOKEN, userid=DEFAULT_USERID), http=http
            )
            await digisign.register(
                RegisterRequest(
                    name="Siti Rahma", gender="Perempuan", phone="081200000001",
                    birth_date="10-03-1978", birth_place="Bandung", nik="3171000000000001",
                    email=EMAIL, ktp_photo=PHOTO, selfie=PHOTO,
                )
            )  # fmt: skip
            request = ActivationLinkRequest(email_user=EMAIL)
            url = f"{base}{request.endpoint.path}"
            # Exactly the bytes the client sends: the same jsonfield and token header.
            jsonfield = json.dumps(request.json_file(DEFAULT_USERID), separators=(",", ":"))
            headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}

            async def with_client() -> None:
                await digisign.activation_link(request)

            async def raw() -> None:
                response = await http.post(
                    url, files=[("jsonfield", (None, jsonfield, None))], headers=headers
                )
                response.raise_for_status()

            await _rate(with_client, 1, concurrency)  # warm up both paths and the server
            await _rate(raw, 1, concurrency)
            client_rates: list[float] = []
            raw_rates: list[float] = []
            for _ in range(rounds):
                client_rates.append(await _rate(with_client, seconds, concurrency))
                raw_rates.append(await _rate(raw, seconds, concurrency))
    client_rate, raw_rate = statistics.median(client_rates), statistics.median(raw_rates)
    ratio = statistics.median(c / r for c, r in zip(client_rates, raw_rates, strict=True))
    print(machine())
    print(
        f"endpoint: {request.endpoint.path} on the sandbox (child process), "
        f"{concurrency} concurrent callers, {rounds} x {seconds:g} s rounds, median\n"
    )
    print(
        table(
            "Digisign client vs raw httpx",
            ["path", "requests/s", "ms/request", "rounds (req/s)"],
            [
                ["DigisignClient.activation_link", client_rate, 1000 / client_rate,
                 " ".join(f"{r:.0f}" for r in client_rates)],
                ["raw httpx multipart POST", raw_rate, 1000 / raw_rate,
                 " ".join(f"{r:.0f}" for r in raw_rates)],
            ],
        )
    )  # fmt: skip
    print(
        f"\nratio client/raw (median of per-round ratios): {ratio:.2f} "
        f"(overhead {1 / ratio:.2f}x; medians differ by "
        f"{1000 / client_rate - 1000 / raw_rate:+.2f} ms per request)"
    )


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__.split("\n")[0])
    cli.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    cli.add_argument("--rounds", type=int, default=10, help="rounds of each path, alternating")
    cli.add_argument("--concurrency", type=int, default=8, help="concurrent callers")
    args = cli.parse_args()
    asyncio.run(run(args.seconds, args.rounds, args.concurrency))


if __name__ == "__main__":
    main()
