"""The Python API: what the CLI calls, for notebooks and scripts.

    import xbench
    results = xbench.evaluate(model="minilm-l6", tasks="panx", languages=["en", "de"], split="dev",
                              train_limit=2000, epochs=3, data_dir="../shared/data")
    print(results.table())
    df = results.to_pandas()
"""

from __future__ import annotations

from pathlib import Path


def evaluate(model: str, tasks: str | list[str], *, languages: list[str] | dict[str, list[str]] | None = None, split: str | None = None,
             train_stages: str | None = None, allow_train_on_eval: bool = False, batch_size="auto",
             device: str = "auto", precision: str = "auto", limit: int | None = None,
             train_limit: int | None = None, epochs: float | None = None, seeds=(1,), output=None,
             finetune: bool = True, overwrite: bool = False, data_dir=None, progress: bool = True,
             record: bool = True, head_task: str | None = None, retrieval_layer: int | None = None,
             adapter: str = "auto", num_fewshot: int = 0, save_every_seconds: float = 120.0,
             trust_remote_code: bool = False, allow_pickle: bool = False, perturb: str | None = None):
    """Fine-tune ``model`` on each task's English training stages and evaluate it zero-shot.

    Arguments mirror ``xbench eval``; returns ``xbench.results.run.RunResults`` (``.table()``,
    ``.to_pandas()``, ``.to_json()``). The run is recorded in the results store unless ``record=False``.
    ``trust_remote_code`` and ``allow_pickle`` (``--trust-remote-code``, ``--allow-pickle``) permit a
    model folder's own Python code and pickle weights; without them such models are refused.
    ``perturb`` (``--perturb``), e.g. ``"typo:0.1"``, evaluates on perturbed inputs; the run goes to
    ``<output>/perturbed/<name>-<strength>`` and reuses ``<output>``'s fine-tuned checkpoints.
    """
    from xbench.evaluation.config import EvalConfig
    from xbench.evaluation.jobs import run_eval

    config = EvalConfig(
        model=model, tasks=",".join(tasks) if isinstance(tasks, (list, tuple)) else tasks,
        languages=(dict(languages) if isinstance(languages, dict) else list(languages)) if languages else None,
        split=split, train_stages=train_stages,
        allow_train_on_eval=allow_train_on_eval, batch_size=batch_size, device=device, precision=precision,
        limit=limit, train_limit=train_limit, epochs=epochs,
        seeds=[seeds] if isinstance(seeds, int) else list(seeds),  # checked (as --seeds) by EvalConfig
        output=Path(output) if output else None, finetune=finetune, overwrite=overwrite,
        data_dir=Path(data_dir) if data_dir else None, progress=progress, head_task=head_task,
        retrieval_layer=retrieval_layer, adapter=adapter, num_fewshot=num_fewshot,
        save_every_seconds=save_every_seconds, trust_remote_code=trust_remote_code, allow_pickle=allow_pickle,
        perturbation=perturb)
    results, output = run_eval(config)
    if record:
        from xbench.results.store import record_run

        record_run(results, output)
    return results
