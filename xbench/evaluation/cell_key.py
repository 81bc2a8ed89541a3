"""What a finished cell depends on (its key), and whether a stored cell may be reused.

A cell is reused only when it was computed from exactly the same inputs. Its key hashes: the
resolved spec (``spec_hash``), the evaluated data's content fingerprint, the evaluated checkpoint's
content hash (``xbench.models.fingerprint.weights_hash``: an overwritten folder at the same path has
another), the training chain's stage keys, the code versions of the task type and of every metric
(``code_versions``), the bootstrap settings (they make the stored intervals), the evaluation
precision, and the run options that change results (limit, retrieval layer, question alignment,
perturbation, benchmark group where it sets flags, prompting settings). Options that do not change
results (batch size, progress, output folder) are not in it.

A stored cell file is refused, with a warning naming it, when it does not match its checksum (edited
by hand or damaged) or has none (an older xbench's cell: stale); the engine then recomputes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from xbench.metrics.base import metric_version
from xbench.metrics.bootstrap import DEFAULT_SETTINGS
from xbench.results.cells import CellChecksumError, CellFormatError, CellResult, CellStaleError, read_cell, warn


def spec_hash(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def component_name(component, implementation) -> str:
    """Where a registered component's code lives (``module:attr``): a plugin that overrides a
    built-in name is other code."""
    if isinstance(component.target, str):
        return component.target
    return f"{getattr(implementation, '__module__', '?')}:{getattr(implementation, '__qualname__', repr(implementation))}"


def code_versions(registry, doc: dict, metrics: list[str]) -> dict:
    """The code a cell's numbers come from: the task type's and each metric's implementation and
    ``version`` (``TaskType.version``, ``xbench.metrics.base.metric_version``)."""
    component = registry.get("task_types", doc["type"])
    cls = component.load()
    out = {"task_type": [doc["type"], component_name(component, cls), getattr(cls, "version", None)],
           "metrics": {}}
    for name in metrics:
        component = registry.get("metrics", name)
        fn = component.load()
        out["metrics"][name] = [component_name(component, fn), metric_version(fn)]
    return out


def cell_key(runner, sel, cell, choice) -> str | None:
    """The key of one cell (``cell``: its ``CellInput``) evaluated with ``choice`` (a ``ModelChoice``);
    None while the checkpoint is untrained (its content hash is not known yet)."""
    if choice is None or choice.identity is None:
        return None
    spec = sel.task
    ident = {"spec": spec_hash(spec.doc), "data": cell.loaded.fingerprint, "weights": choice.identity,
             "chain": [s.get("key") for s in choice.info.get("stages", [])], "flags": sorted(choice.flags),
             "limit": runner.config.limit, "retrieval_layer": runner.config.retrieval_layer,
             "examples": cell.info.get("questions_from_english"),
             "code": code_versions(runner.registry, spec.doc, list(spec.metrics)),
             "bootstrap": DEFAULT_SETTINGS.to_dict(), "precision": str(getattr(runner, "precision", None))}
    skipped = [f for f in cell.loaded.flags if f.startswith("skipped_rows=")]
    if skipped:  # only then: a cell stored before skips were flagged is recomputed; clean cells keep their key
        ident["skipped_rows"] = skipped
    if runner.perturbation is not None:  # a perturbed cell is never mistaken for the clean one
        ident["perturbation"] = runner.perturbation.identity()
    if sel.group in (spec.doc.get("retrieval") or {}).get("finetuned_encoder_groups", ()):
        ident["group"] = sel.group  # the cell's flags depend on the benchmark it is evaluated for
    if runner.prompted:  # the same weights scored prompted are another cell; k-shot draws follow the seed
        from xbench.prompting import SCORER_VERSION

        ident |= {"adapter": runner.adapter_name, "num_fewshot": runner.config.num_fewshot,
                  "prompts": runner.prompt_doc(sel, cell.loaded.language).get("prompts"),
                  "scorer": SCORER_VERSION}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def reusable_cell(path: Path, key: str | None, *, overwrite: bool = False, quiet: bool = False) -> CellResult | None:
    """The cell stored at ``path`` if it was computed under ``key``; None means: compute it (missing
    cells are retried too: their data may have appeared since). A refused file gets a warning line
    naming it, unless ``quiet`` (a status check that computes nothing)."""
    if key is None or overwrite or not path.is_file():
        return None
    try:
        cell = read_cell(path)
    except (CellChecksumError, CellStaleError) as err:
        _refused(path, str(err), quiet)
        return None
    except (CellFormatError, ValueError, TypeError) as err:  # e.g. torn by a crash
        _refused(path, f"not a valid cell: {err}", quiet)
        return None
    if cell.status == "missing" or cell.info.get("fingerprint") != key:
        return None
    return cell


def _refused(path: Path, why: str, quiet: bool) -> None:
    if not quiet:
        warn(f"{path}: not reused ({why}); this cell will be recomputed")
