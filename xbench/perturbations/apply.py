"""Perturbing a cell's evaluation inputs: what the engine calls (``xbench.evaluation.runner``).

Training data is never perturbed: only the examples a cell is evaluated on. What is perturbed, and
how a perturbed output maps back to the clean items, is the task type's (``TaskType.perturb``,
``TaskType.perturbed_output``); the engine only calls the three functions below.
"""

from __future__ import annotations

from dataclasses import dataclass

from xbench.errors import UserError
from xbench.perturbations.base import Perturbation
from xbench.perturbations.seeding import item_rng


def applies(task_type_cls, perturbation: Perturbation) -> bool:
    return perturbation.acts_on in task_type_cls.perturbable


def check_task(task_type_cls, perturbation: Perturbation, task: str, type_name: str) -> None:
    if not applies(task_type_cls, perturbation):
        raise UserError(f"perturbation {perturbation.name} does not apply to task {task}: it perturbs "
                        f"{perturbation.acts_on}, which task type {type_name} does not have (it perturbs "
                        f"{', '.join(task_type_cls.perturbable) or 'nothing'}) (fix: leave {task} out, or use "
                        "a text perturbation such as typo)")


def prepare(text: str | None, registry, selections, languages_for) -> Perturbation | None:
    """The run's perturbation (None: a clean run), checked against every selected task and language
    before anything is trained (``languages_for(selection)``: the languages evaluated)."""
    from xbench.perturbations.parse import parse_perturbation

    if not text:
        return None
    perturbation = parse_perturbation(text, registry)
    for sel in selections:
        type_name = sel.task.doc["type"]
        check_task(registry.get("task_types", type_name).load(), perturbation, sel.task.name, type_name)
        for lang in languages_for(sel):
            perturbation.check_language(lang)
    return perturbation


@dataclass
class PerturbedCell:
    perturbation: Perturbation | None  # None: a clean cell, evaluated on its examples as they are
    clean: list[dict]
    examples: list[dict]  # what the model is evaluated on
    changes: list[dict]  # per example: the changed fields' new values ({} when unchanged)

    def finish(self, task_type, out):
        """The task type's output mapped back to the clean items, with the cell's flag and record."""
        if self.perturbation is None:
            return out
        out = task_type.perturbed_output(out, self.clean, self.changes)
        out.flags.append(self.perturbation.flag)
        out.info["perturbation"] = self.perturbation.record() | {"items_changed": sum(bool(c) for c in self.changes)}
        return out


def perturb_cell(task_type, examples: list[dict], perturbation: Perturbation | None, *, seed: int, task: str,
                 language: str) -> PerturbedCell:
    """Every example perturbed with its own rng (``item_rng`` of its ``perturbation_key``)."""
    if perturbation is None:
        return PerturbedCell(None, examples, examples, [{} for _ in examples])
    check_task(type(task_type), perturbation, task, task_type.spec.get("type", type(task_type).__name__))
    perturbed, changes = [], []
    for ex in examples:
        rng = item_rng(perturbation, seed, task, language, task_type.perturbation_key(ex))
        new, changed = task_type.perturb(ex, perturbation, rng, language)
        perturbed.append(new)
        changes.append(changed)
    return PerturbedCell(perturbation, examples, perturbed, changes)
