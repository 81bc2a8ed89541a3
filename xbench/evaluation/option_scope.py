"""Options of ``xbench eval`` that act on some tasks only: refused when no selected task takes them.

Such an option given for a selection where it acts on nothing would be recorded as if it mattered
and change nothing, so the run stops before anything loads, naming the option and the tasks that
would take it. What "takes it" means comes from the spec (a ``retrieval:`` section, training
stages), never from task names; checked once per run by the planner (``jobs.run_eval``), since each
job of a mixed selection carries the run's options whether its own task takes them or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from xbench.errors import UserError


@dataclass(frozen=True)
class Scope:
    option: str  # the command-line flag
    field: str  # the EvalConfig field
    kind: str  # the tasks that take it, as the message names them
    takes: Callable  # (config, TaskSpec) -> whether the option acts on this task


def _retrieves(config, spec) -> bool:
    return "retrieval" in spec.doc


def _fine_tunes(config, spec) -> bool:
    stages, _ = config.stages_for(spec.name, spec.doc.get("train_stages") or [])
    return bool(stages)


SCOPES = (
    Scope("--retrieval-layer", "retrieval_layer", "retrieval tasks (a spec with a `retrieval:` section)", _retrieves),
    Scope("--train-limit", "train_limit", "tasks that fine-tune (training stages in the spec or --train-stages)",
          _fine_tunes),
    Scope("--epochs", "epochs", "tasks that fine-tune (training stages in the spec or --train-stages)", _fine_tunes),
    Scope("--allow-train-on-eval", "allow_train_on_eval",
          "tasks that fine-tune (training stages in the spec or --train-stages)", _fine_tunes),
)


def _given(value) -> bool:
    return value is not None and value is not False


def _flag(scope: Scope, value) -> str:
    if value is True:
        return scope.option
    return f"{scope.option} {value:g}" if isinstance(value, float) else f"{scope.option} {value}"


def check_option_scopes(config, selections, catalog) -> None:
    """A one-line ``UserError`` for the first option no selected task takes (see the module docstring)."""
    selected = list({sel.task.name: sel.task for sel in selections}.values())
    names = ", ".join(spec.name for spec in selected)
    for scope in SCOPES:
        value = getattr(config, scope.field)
        if not _given(value):
            continue
        if scope.takes is _fine_tunes and not config.finetune:
            raise UserError(f"{_flag(scope, value)} does nothing with --no-finetune (nothing is trained) "
                            f"(fix: drop one of them)")
        if any(scope.takes(config, spec) for spec in selected):
            continue
        takers = sorted(name for name, spec in catalog.tasks.items() if scope.takes(config, spec))
        shown = ", ".join(takers[:12]) + (f" +{len(takers) - 12} more" if len(takers) > 12 else "")
        raise UserError(f"{_flag(scope, value)}: applies to {scope.kind}, and none of the selected tasks ({names}) "
                        f"is one, so it would do nothing (fix: drop {scope.option}, or select a task that takes it"
                        + (f": {shown}" if shown else "") + ")")
