"""Start-up cost of `hub --help`, `hub providers list` and `hub validate`, and what each imports.

Prints one JSON line per command: median wall time over 5 runs, its ratio to `hub --help`, and the modules it
imported (`python -X importtime`) that it must not: any vendor SDK, and for `validate` (of the example
workspace `hub init` writes) the HTTP transport and the simulator kit too. Exits 1 when one is imported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENDOR_SDKS = ("mailchimp_marketing", "twilio", "mastodon", "atproto")
HTTP_AND_SIMULATORS = ("requests", "urllib3", "hub.transport.http", "hub.simulator")


def run(args: list[str], unwanted: tuple[str, ...] = VENDOR_SDKS) -> dict[str, object]:
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
    wrong = sorted(m for m in imported if any(m == u or m.startswith(u + ".") for u in unwanted))
    return {"command": "hub " + " ".join(a for a in args if not a.startswith("/")),
            "median_s": round(statistics.median(times), 3), "modules_imported": len(imported),
            "unwanted_imported": wrong}


def main() -> None:
    os.chdir(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "hub", "init", tmp + "/agency"], check=True, capture_output=True)
        results = [run(["--help"]), run(["providers", "list"]),
                   run(["validate", "-w", tmp + "/agency"], VENDOR_SDKS + HTTP_AND_SIMULATORS)]
    help_s = float(str(results[0]["median_s"]))
    for result in results:
        result["vs_help"] = round(float(str(result["median_s"])) / help_s, 2)
        print(json.dumps(result))
    sys.exit(1 if any(r["unwanted_imported"] for r in results) else 0)


if __name__ == "__main__":
    main()
