"""`make fuzz`: schemathesis against a service of its own.

Starts `loyalty run` (SQLite and an embedded Redis in a temporary data directory, development
settings so the schema can be introspected) on a free port with a bootstrapped organization,
then runs `st run` on /graphql with the owner's token and a bounded number of examples. Fails
on any 5xx and on any masked "Unexpected error." (tests/fuzz/hooks.py).
FUZZ_EXAMPLES (default 25) and FUZZ_SEED (default 1) tune a run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("the service exited before it answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the service did not answer within a minute")


def main() -> int:
    examples = os.environ.get("FUZZ_EXAMPLES", "25")
    seed = os.environ.get("FUZZ_SEED", "1")
    with tempfile.TemporaryDirectory(prefix="loyalty-fuzz-") as data_dir:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "LOYALTY_SECRET_KEY"}
        }
        env.update(LOYALTY_ENV="development", LOYALTY_DATA_DIR=data_dir)
        boot = subprocess.run(  # noqa: S603
            [
                str(BIN / "loyalty"),
                "bootstrap",
                "--org-name",
                "Fuzz",
                "--owner-email",
                "owner@fuzz-shop.com",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = json.loads(boot.stdout)["token"]
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [str(BIN / "loyalty"), "run", "--host", "127.0.0.1", "--port", str(port)], env=env
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_ready(f"{base}/ready", server)
            fuzz_env = {**env, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks"}
            result = subprocess.run(  # noqa: S603
                [
                    str(BIN / "st"),
                    "run",
                    f"{base}/graphql",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    "no_server_error_status,no_masked_error",
                    "--phases",
                    "fuzzing",
                    # Signing out would end the token the run uses; uploads need a file.
                    "--exclude-name",
                    "Mutation.logout",
                    "--exclude-name",
                    "Mutation.importStart",
                    "--max-examples",
                    examples,
                    "--seed",
                    seed,
                    "--workers",
                    "1",
                ],
                env=fuzz_env,
                check=False,
            )
            return result.returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
