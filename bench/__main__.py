"""Run every benchmark module in bench/ (or those named on the command line) and print one JSON document.

A benchmark that cannot run (no wrk, a server that does not start) is reported under "error" with the reason;
the others still run, and the exit status is then 1.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path
from typing import Any


def main() -> None:
    """Discover bench_*.py modules, run their main(), print the results as JSON."""
    wanted = set(sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    results: dict[str, Any] = {}
    failed = False
    for name in names:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = module.main()
        except Exception as error:  # reported; the other benchmarks still run
            traceback.print_exc()
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            failed = True
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
