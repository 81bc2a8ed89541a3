"""Running an experiment: plan, execute (any executor), then record one run per (model,
configuration) and per (model, configuration, perturbation) — ``results.json`` in its folder and a
row in the results store under the experiment's name (config ``perturbation``: the perturbation's
canonical text, None when clean), which ``xbench leaderboard --experiment NAME`` reads back."""

from __future__ import annotations

import time
from collections.abc import Callable

from xbench.experiment.plan import Plan, build_plan
from xbench.errors import UserError
from xbench.experiment.spec import Experiment, model_error
from xbench.jobs import Job


def describe(plan: Plan, registry=None) -> list[str]:
    """The plan as lines: each job and whether it is done; counts of trainings and evaluations."""
    from xbench.evaluation.config import EvalConfig
    from xbench.evaluation.runner import Runner
    from pathlib import Path

    lines, cells, cells_done, stages, stages_done = [], 0, 0, set(), set()
    trains = [j for j in plan.jobs if j.kind == "train"]
    evals = [j for j in plan.jobs if j.kind == "eval"]
    users = {j.id: sum(j.id in e.deps for e in evals) for j in trains}
    train_done = {j.id: j.done for j in trains}
    for job in trains:
        lines.append(f"  [{'done' if job.done else 'todo'}] {job.label}: trained once, used by {users[job.id]} "
                     f"evaluation jobs -> {job.args['output']}")
    unknown = 0
    for job in evals:
        # phase 2 decides what can be planned now (a perturbed job's stages are its clean job's)
        ready = all(train_done[d] for d in job.deps if d in train_done)
        if not ready:
            unknown += 1
            lines.append(f"  [wait] {job.label}: after its phase-2 checkpoint")
            continue
        args = dict(job.args)
        if args.get("data_dir"):
            args["data_dir"] = Path(args["data_dir"])
        try:
            runner = Runner(EvalConfig(model=args.pop("model"), tasks=args.pop("tasks"), seeds=[args.pop("seed")],
                                       output=Path(args.pop("output")), **args), registry)
            runner.setup()
        except UserError as err:
            raise model_error(plan.experiment, err) from err
        st = runner.status()
        cells, cells_done = cells + st["cells"], cells_done + st["cells_done"]
        stages |= st["stages"]
        stages_done |= st["stages_done"]
        lines.append(f"  [{'done' if st['cells'] == st['cells_done'] else 'todo'}] {job.label}: "
                     f"{st['cells_done']}/{st['cells']} cells done, "
                     f"{len(st['stages_done'])}/{len(st['stages'])} phase-3 stages trained")
    exp = plan.experiment
    perturbed = sum(1 for j in evals if j.args.get("perturbation"))
    head = [f"experiment {exp.name}: {len(exp.models)} model(s) x "
            f"{len(exp.intermediates)} intermediate configuration(s) x {len(exp.targets)} "
            f"target(s) x {len(exp.seeds)} seed(s)"
            + (f", clean + {len(exp.perturbations)} perturbation(s)" if exp.perturbations else ""),
            f"phase-2 trainings: {len(trains)} ({sum(j.done for j in trains)} done) — one per (model, "
            f"configuration, seed), shared by every target",
            f"evaluation jobs: {len(evals)}" + (f" ({unknown} wait for phase 2, not counted below)" if unknown else ""),
            *([f"perturbed evaluations: {perturbed} — on the clean jobs' checkpoints, nothing retrained"]
              if perturbed else []),
            *[f"perturbation {p.spec}: skipped for {', '.join(p.skipped)} (does not apply to their task types)"
              for p in exp.perturbations if p.skipped],
            f"phase-3 trainings: {len(stages)} ({len(stages_done)} done)",
            f"evaluation cells: {cells} ({cells_done} done)"]
    return head + lines


def run_experiment(exp: Experiment, settings, executor, registry=None,
                   log: Callable[[str], None] = print) -> dict:
    """Run every job not done yet; returns {(model, configuration, perturbation or None): RunResults}
    (recorded)."""
    from xbench.results.cells import CellResult
    from xbench.results.environment import collect_environment
    from xbench.results.run import RunResults
    from xbench.results.store import ResultsStore, record_run

    ResultsStore().check_recordable()  # a broken store is said before the work, not after it
    plan = build_plan(exp, settings, registry)
    n_train = sum(1 for j in plan.jobs if j.kind == "train")
    log(f"experiment {exp.name}: {n_train} phase-2 trainings ({sum(j.done for j in plan.jobs if j.kind == 'train')} "
        f"already done), {sum(j.kind == 'eval' for j in plan.jobs)} evaluation jobs -> {settings.output}")
    started = time.time()

    def on_result(job: Job, value) -> None:
        if job.kind == "train":
            state = "reused" if value.get("reused") else f"trained in {value.get('seconds', 0):.0f} s"
            log(f"  {job.label}: {state}")
        else:
            log(f"  {job.label}: {len(value)} cells")

    try:
        values = executor.run(plan.jobs, on_result)
    except UserError as err:
        raise model_error(exp, err) from err
    by_run: dict[tuple, list] = {key: [] for key in plan.runs}
    for job in plan.jobs:
        if job.kind != "eval":
            continue
        by_run[_owner(plan, job)] += [CellResult.from_dict(c) for c in values.get(job.id, [])]
    every = [c for cells in by_run.values() for c in cells]
    if every and all(c.status == "missing" for c in every):  # as in `xbench eval`: no run of nothing
        from xbench.evaluation.jobs import drop_missing_markers, nothing_evaluated

        for key, cells in by_run.items():
            drop_missing_markers(plan.runs[key], cells, started)
        raise nothing_evaluated(every, str(exp.path) + (f" (--data-dir {settings.data_dir})" if settings.data_dir else ""))
    out, environment = {}, collect_environment()
    configs = {c.name: c for c in exp.intermediates}
    for (model, config, perturbation), cells in by_run.items():
        inter = configs[config]
        results = RunResults(
            config={"model": f"{model} [{exp.name}:{config}]", "base_model": model, "experiment": exp.name,
                    "experiment_file": str(exp.path), "intermediate": config,
                    "intermediate_tasks": [t.slug for t in inter.tasks], "intermediate_training": inter.training,
                    "intermediate_order": [c.name for c in exp.intermediates],
                    "targets": [t.address for t in exp.targets], "seeds": exp.seeds, "perturbation": perturbation,
                    "executor": type(executor).__name__, "seconds": round(time.time() - started, 1)},
            environment=environment, cells=cells)
        results.save(plan.runs[(model, config, perturbation)])
        record_run(results, plan.runs[(model, config, perturbation)])
        out[(model, config, perturbation)] = results
    return out


def _owner(plan: Plan, job: Job) -> tuple[str, str, str | None]:
    """The (model, configuration, perturbation) an evaluation job belongs to (its run folder)."""
    from pathlib import Path

    output = Path(job.args["output"])
    for key, folder in plan.runs.items():
        if folder == output:
            return key
    raise KeyError(job.id)
