"""Why fine-tuning uses the fused AdamW: one optimiser step over a real model's parameters, per kernel.

    python -m benchmarks.optimizer_step --model minilm-l6 --steps 20 --repeats 3

Times ``torch.optim.AdamW.step()`` on the model's parameters with fixed random gradients, in the
parameter groups fine-tuning uses (``xbench.train.optimizer.param_groups``): PyTorch's default on this
device (the per-parameter loop on CPU), ``foreach=True`` and ``fused=True``, alternating. Also records
how far the fused weights drift from the default's after ``--steps`` steps (float rounding only).
"""

from __future__ import annotations

from benchmarks.common import Recorder, alternate, installed_model, median, progress, step_arguments, timed

KINDS = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def main(argv=None) -> None:
    import torch
    from transformers import AutoModelForTokenClassification

    from xbench.engine.device import pick_device
    from xbench.train.optimizer import param_groups

    ap = step_arguments(__doc__)
    ap.add_argument("--steps", type=int, default=20, help="optimiser steps per timed run")
    args = ap.parse_args(argv)
    pick_device("cpu")
    rec = Recorder(args.out)
    base = installed_model(rec, "optimizer_step", args.model)
    if base is None:
        return
    torch.manual_seed(0)
    start = AutoModelForTokenClassification.from_pretrained(base, num_labels=7).state_dict()
    grads = {n: torch.randn_like(t) * 1e-3 for n, t in start.items() if t.is_floating_point()}
    finals = {}

    def variant(kind):
        def run():
            params = {n: torch.nn.Parameter(start[n].clone()) for n in grads}
            for n, p in params.items():
                p.grad = grads[n]
            opt = torch.optim.AdamW(param_groups(params.items(), 0.01), lr=2e-5, **KINDS[kind])
            wall, cpu, _ = timed(lambda: [opt.step() for _ in range(args.steps)])
            finals[kind] = params
            return {"wall": wall, "cpu": cpu, "ms_per_step": 1000 * wall / args.steps}
        return run

    runs = alternate({k: variant(k) for k in KINDS}, args.repeats,
                     on_run=lambda n, r, run: progress(f"optimizer_step repeat {r + 1}: {n} {run['ms_per_step']:.1f} ms/step"))
    medians = {n: median(v) for n, v in runs.items()}
    drift = {k: max(float((finals[k][n] - finals["default"][n]).detach().abs().max()) for n in grads) for k in ("foreach", "fused")}
    rec.write("optimizer_step", model=args.model, parameters=sum(g.numel() for g in grads.values()),
              tensors=len(grads), steps=args.steps, threads=torch.get_num_threads(), runs=runs, medians=medians,
              ms_per_step={n: 1000 * m / args.steps for n, m in medians.items()},
              ratios={f"{k}_vs_default": medians["default"] / medians[k] for k in ("foreach", "fused")},
              checks={"max_abs_weight_diff_vs_default": drift})


if __name__ == "__main__":
    main()
