"""Measure 6b: Tatoeba end to end (``xbench eval --tasks xtreme/tatoeba``, retrieval with the raw encoder)
vs the forward-only ideal: the model's forward alone over every distinct sentence of both sides,
pre-tokenised, length-sorted, dynamically padded batches of 32 (mining itself is a few matrix products).

    python -m benchmarks.tatoeba --model minilm-l6 [--languages de,fr,es] [--limit 300] --repeats 3

``xbench eval`` runs with a fresh ``XBENCH_HOME`` each time (no tokenisation or embedding cache).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import (Recorder, alternate, installed_model, median, progress, run_process, step_arguments,
                               timed, xbench_cmd)


def sentences(langs, limit, data_dir) -> dict[str, list[str]]:
    from xbench.data import load_split
    from xbench.registry import get_registry
    from xbench.spec.catalog import Catalog

    selection = Catalog(get_registry()).select("xtreme/tatoeba")[0]
    task, out = selection.task, {}
    for lang in langs or selection.languages:
        rows = load_split(task, "test", lang, data_dir=data_dir, limit=limit).dataset.to_list()
        out[lang] = sorted({r["source"] for r in rows} | {r["target"] for r in rows})
    return out


def main(argv=None) -> None:
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    ap = step_arguments(__doc__)
    ap.add_argument("--languages", default="", help="comma-separated (default: all 36 of xtreme/tatoeba)")
    ap.add_argument("--limit", type=int, default=0, help="pairs per language (0: all)")
    args = ap.parse_args(argv)
    transformers.logging.set_verbosity_error()
    rec = Recorder(args.out)
    base = installed_model(rec, "tatoeba", args.model)
    if base is None:
        return
    langs = [l for l in args.languages.split(",") if l]
    texts = sentences(langs, args.limit or None, args.data_dir)
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModel.from_pretrained(base).eval()
    batches = []
    for sents in texts.values():
        enc = tok(sents, truncation=True, max_length=128)
        rows = sorted(({k: enc[k][i] for k in enc} for i in range(len(sents))), key=lambda r: -len(r["input_ids"]))
        batches += [tok.pad(rows[i:i + 32], return_tensors="pt") for i in range(0, len(rows), 32)]

    def forward():
        with torch.inference_mode():
            return {"wall": timed(lambda: [model(**b, output_hidden_states=True) for b in batches])[0]}

    work = Path(tempfile.mkdtemp(prefix="xbench-tatoeba-"))

    def e2e():
        shutil.rmtree(work / "home", ignore_errors=True)
        shutil.rmtree(work / "out", ignore_errors=True)
        cmd = xbench_cmd("eval", "--model", args.model, "--tasks", "xtreme/tatoeba", "--data-dir", str(args.data_dir),
                         "--output", str(work / "out"), "--device", "cpu")
        if langs:
            cmd += ["--languages", ",".join(langs)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        return {"wall": run_process(cmd, env={**os.environ, "XBENCH_HOME": str(work / "home")})[0]}

    try:
        runs = alternate({"xbench_eval": e2e, "forward_only": forward}, args.repeats,
                         on_run=lambda n, r, run: progress(f"tatoeba repeat {r + 1}: {n} {run['wall']:.1f}s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {n: median(v) for n, v in runs.items()}
    rec.write("tatoeba", model=args.model, languages=list(texts), limit=args.limit or None,
              sentences=sum(map(len, texts.values())), runs=runs, medians=medians,
              ratios={"xbench_vs_forward_only": medians["forward_only"] / medians["xbench_eval"]})


if __name__ == "__main__":
    main()
