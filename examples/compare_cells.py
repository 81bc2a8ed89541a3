"""Compare the cells of two experiment output folders (e.g. the same grid run locally and on Ray).

    python examples/compare_cells.py RUN_A RUN_B

Prints how many cells each has, how many metric values are bitwise equal, and the largest difference.
Exits 1 if any cell is missing on one side or any metric differs.
"""

import json
import sys
from pathlib import Path


def cells(root: Path) -> dict:
    out = {}
    for f in root.glob("*/*/seed-*/cells/*/*.json"):
        cell = json.loads(f.read_text(encoding="utf-8"))
        for metric, value in cell["metrics"].items():
            out[(str(f.relative_to(root)), metric)] = value
    return out


def main() -> int:
    a, b = cells(Path(sys.argv[1])), cells(Path(sys.argv[2]))
    shared = a.keys() & b.keys()
    equal = sum(a[k] == b[k] for k in shared)
    worst = max((abs(a[k] - b[k]) for k in shared), default=0.0)
    print(f"{len(a)} metric values in {sys.argv[1]}, {len(b)} in {sys.argv[2]}; {len(shared)} shared, "
          f"{equal} bitwise equal, largest difference {worst:.3g}")
    return 0 if a.keys() == b.keys() and equal == len(shared) else 1


if __name__ == "__main__":
    sys.exit(main())
