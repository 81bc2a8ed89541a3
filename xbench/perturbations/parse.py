"""Reading ``NAME[:STRENGTH][,KEY=VALUE...]`` (``--perturb``, an experiment's ``perturbations:``)."""

from __future__ import annotations

import math

from xbench.errors import PluginError, UserError
from xbench.perturbations.base import Perturbation
from xbench.spec.suggest import did_you_mean


def parse_perturbation(text: str, registry=None, option: str = "--perturb") -> Perturbation:
    """The perturbation ``text`` names, with its strength (default: the perturbation's) and options.
    Every problem is one ``UserError`` line starting with ``option`` and the text."""
    from xbench.registry import get_registry

    registry = registry or get_registry()
    where = f"{option} {text}"
    head, *rest = [part.strip() for part in str(text).split(",")]
    name, colon, strength_text = (s.strip() for s in head.partition(":"))
    table = registry.collect("perturbations")
    if name not in table:
        raise UserError(f"{where}: unknown perturbation '{name}'{did_you_mean(name, table)} "
                        f"(fix: one of {', '.join(sorted(table))}; see `xbench plugins --kind perturbations`)")
    strength = None
    if colon:
        try:
            strength = float(strength_text)
        except ValueError:
            strength = math.nan
        if not math.isfinite(strength) or not 0.0 <= strength <= 1.0:
            raise UserError(f"{where}: strength '{strength_text}' is not a number in [0, 1] "
                            f"(fix: a probability, e.g. {name}:0.1)")
    options = {}
    for part in rest:
        key, eq, value = (s.strip() for s in part.partition("="))
        if not eq or not key or not value:
            raise UserError(f"{where}: '{part}' is not KEY=VALUE (fix: NAME[:STRENGTH][,KEY=VALUE...], e.g. "
                            "code_switch:0.3,lexicon=PATH; values cannot contain commas)")
        if key in options:
            raise UserError(f"{where}: option '{key}' given twice (fix: give it once)")
        options[key] = value
    descriptor = table[name]
    cls = descriptor.load()
    if not (isinstance(cls, type) and issubclass(cls, Perturbation)) or cls.name != name:
        raise PluginError(f"perturbation '{name}' of plugin '{descriptor.plugin}' must name a subclass of "
                          f"xbench.perturbations.Perturbation whose `name` is '{name}' (fix the plugin)")
    try:
        return cls(strength, options)
    except UserError as err:
        raise UserError(f"{where}: {err}") from None
