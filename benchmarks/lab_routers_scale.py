"""Start `cgw lab routers` fleets of growing size against one lab AWS: seconds per router.

    python benchmarks/lab_routers_scale.py [--counts 1 5 10 25] [--platform cisco_xe ...]

Each size starts `count` routers per platform in a fresh folder against a fresh lab AWS (moto
over HTTP on 127.0.0.1): customer gateways and VPN connections created through boto3, host keys
generated, SSH servers listening, inventory and known_hosts written; then stops them. Target:
seconds per router roughly flat as the fleet grows (no per-router step that scans the fleet).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.request
from pathlib import Path

from cgw.lab.aws_server import run_lab_aws
from cgw.lab.router_lab import lab_branches, served_platforms, start_router_lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 10, 25])
    parser.add_argument("--platform", action="append", default=None)
    args = parser.parse_args(argv)
    platforms = tuple(args.platform or served_platforms())
    print(f"{'routers':>8} {'start s':>8} {'s/router':>9} {'restart s':>10} {'stop s':>7}")
    aws = run_lab_aws(port=0, seed=False)
    try:
        for count in args.counts:
            # A fresh AWS for each size: moto's own reset endpoint empties every backend.
            urllib.request.urlopen(
                urllib.request.Request(f"{aws.endpoint}/moto-api/reset", method="POST")
            ).close()
            with tempfile.TemporaryDirectory(prefix="cgw-bench-") as scratch:
                folder = Path(scratch) / "lab"
                branches = lab_branches(platforms, count)
                started = time.perf_counter()
                lab = start_router_lab(folder, aws.endpoint, branches)
                start_s = time.perf_counter() - started
                stopping = time.perf_counter()
                lab.stop()
                stop_s = time.perf_counter() - stopping
                # A second start finds the VPN connections and host keys it made the first time.
                again = time.perf_counter()
                start_router_lab(folder, aws.endpoint, branches).stop()
                restart_s = time.perf_counter() - again
            routers = len(branches)
            print(
                f"{routers:>8} {start_s:>8.2f} {start_s / routers:>9.3f}"
                f" {restart_s:>10.2f} {stop_s:>7.2f}"
            )
    finally:
        aws.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
