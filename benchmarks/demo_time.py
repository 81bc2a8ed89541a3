"""The README main job, timed as a new user runs it: fresh output folder and fresh ``XBENCH_HOME``.

    python -m benchmarks.demo_time --data-dir ../shared/data --out FILE.jsonl

Records the wall time and the printed table (benchmarks/demo/RESULTS.md holds the last one by hand).
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from benchmarks.common import Recorder, run_process, step_arguments, xbench_cmd

ARGS = ["eval", "--model", "minilm-l6", "--tasks", "panx,udpos,xcopa,xtreme/tatoeba", "--split", "panx=dev",
        "--train-stages", "xcopa=copa:train", "--languages",
        "panx=en,de,fr,es,nl,it,ru,zh;udpos=en,de,fr,fi,tr,zh,ja,hi,ar;tatoeba=de,fr,es,it,nl,pt",
        "--train-limit", "5000", "--epochs", "3", "--limit", "1000"]


def main(argv=None) -> None:
    ap = step_arguments(__doc__, model=None, repeats=None)
    args = ap.parse_args(argv)
    rec = Recorder(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = xbench_cmd(*ARGS, "--data-dir", str(args.data_dir), "--output", str(Path(tmp) / "run"))
        wall, table = run_process(cmd, env={**os.environ, "XBENCH_HOME": str(Path(tmp) / "home")})
    rec.write("demo", demo_command="xbench " + shlex.join(ARGS + ["--data-dir", "../shared/data"]), wall=wall,
              table=table, goals={"under 10 minutes": wall < 600})


if __name__ == "__main__":
    main()
