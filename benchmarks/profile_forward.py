"""The profile behind BENCHMARKS.md's account of encoder evaluation: torch.profiler over the forward
of the first ``--limit`` XNLI-dev pairs of one language, length-sorted batches of 32.

    python -m benchmarks.profile_forward --model minilm-l6 --language de --limit 300 \\
        --out benchmarks/profiles/xnli_de_minilm_forward.txt
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from benchmarks.common import command, git_hash, machine
from benchmarks.encoder_eval import LABELS, Cell, load_examples, make_checkpoint, model_path


def main(argv=None) -> None:
    import torch
    import transformers
    from torch.profiler import ProfilerActivity, profile
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xbench.tasktypes.classification import SequenceClassification

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="minilm-l6")
    ap.add_argument("--language", default="de")
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("XBENCH_DATA_DIR", "../shared/data")))
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = make_checkpoint(model_path(args.model), Path(tmp) / "ckpt")
        tok = AutoTokenizer.from_pretrained(ckpt)
        model = AutoModelForSequenceClassification.from_pretrained(ckpt).eval()
    spec = {"name": "xnli", "type": "sequence_classification", "labels": LABELS, "options": {}}
    cell = Cell(args.language, load_examples(args.language, args.limit, args.data_dir), tok,
                SequenceClassification(spec, tok, max_length=128))
    batches = [b for _, b in cell.sorted_batches]
    real = cell.n_tokens
    padded = sum(b["input_ids"].numel() for b in batches)
    with torch.inference_mode():
        for b in batches[:2]:
            model(**b)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for b in batches:
                model(**b)
    header = [f"command: {command()}", f"git: {git_hash()}", f"machine: {machine()}", f"load average: {os.getloadavg()}",
              f"attention: {model.config._attn_implementation}; {len(cell.examples)} pairs, {real} real tokens, "
              f"{padded} padded ({100 * (1 - real / padded):.1f} % padding), {len(batches)} batches", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header) + prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20) + "\n")
    print(args.out)


if __name__ == "__main__":
    main()
