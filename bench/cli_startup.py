"""Start-up cost of `hub --help` and `hub providers list`, and proof that no vendor SDK is imported.

Prints one JSON line per command: median wall time over 5 runs and the vendor SDK modules imported
(`python -X importtime`), which must be none.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

VENDOR_SDKS = ("mailchimp_marketing", "twilio")
COMMANDS = (["--help"], ["providers", "list"])


def run(args: list[str]) -> dict[str, object]:
    cmd = [sys.executable, "-X", "importtime", "-c", "from hub.cli import main; main()", *args]
    env = {**os.environ, "COLUMNS": "120"}
    times = []
    imported: set[str] = set()
    for _ in range(5):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"hub {' '.join(args)} failed: {proc.stderr[-500:]}")
        for line in proc.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                module = line.rsplit("|", 1)[1].strip()
                imported.add(module)
    sdks = sorted(m for m in imported if m.split(".")[0] in VENDOR_SDKS)
    return {"command": "hub " + " ".join(args), "median_s": round(statistics.median(times), 3),
            "modules_imported": len(imported), "vendor_sdks_imported": sdks}


def main() -> None:
    os.chdir(Path(__file__).resolve().parent.parent)
    failed = False
    for args in COMMANDS:
        result = run(list(args))
        print(json.dumps(result))
        failed |= bool(result["vendor_sdks_imported"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
