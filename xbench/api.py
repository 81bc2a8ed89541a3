"""The Python API: ``xbench eval`` as a function, for notebooks and scripts.

    import xbench
    results = xbench.evaluate(model="minilm-l6", tasks="panx", languages=["en", "de"], split="dev",
                              train_limit=2000, epochs=3, data_dir="../shared/data")
    print(results.table())
    df = results.to_pandas()

``evaluate`` is generated from the click options of ``xbench eval`` (xbench/cli/eval_cmd.py): every
option is a keyword of the same name (the flag with underscores) and default, its value is checked as
the command line checks it (click's type, then the shared ``config_from_options``), and the run goes
through the same ``run_options``; so the two cannot drift. Only the printed table's ``--format`` is
the command's alone, and ``progress`` / ``record`` are the function's alone.
"""

from __future__ import annotations

import inspect
import os
import textwrap

import click

from xbench.cli.eval_cmd import eval_cmd
from xbench.errors import UserError

# The function's own keywords: (default, what it does).
API_ONLY = {
    "progress": (True, "show progress bars (the command always does)."),
    "record": (True, "record the run in the results store, as the command always does (`xbench results`)."),
}
# The command's own options: why ``evaluate`` has none.
CLI_ONLY = {"format": "it formats the printed table; call .table(fmt) on the returned results instead"}
# Older keyword names, still accepted.
ALIASES = {"save_every_seconds": "checkpoint_every"}

PYTHON_VALUES = {
    "tasks": "a list of names is also taken",
    "languages": "a list, or a dict task -> list, is also taken",
    "seeds": "an int or a list of ints is also taken",
}


def options() -> dict[str, click.Option]:
    """The ``xbench eval`` options that are ``evaluate`` keywords, by keyword, in the command's order."""
    return {p.name: p for p in eval_cmd.params if isinstance(p, click.Option) and p.name not in CLI_ONLY}


def _context() -> click.Context:
    # the command's context under a root named like the CLI's, so errors name `xbench eval --x`
    return click.Context(eval_cmd, info_name="eval", parent=click.Context(click.Group("cli"), info_name="cli"))


def _checked(option: click.Option, value, ctx: click.Context):
    """``value`` through the option's click type as the command line passes it. Text options take the
    value as it is (lists, dicts and numbers are parsed by ``config_from_options``); typed ones
    (numbers, ranges, choices) get ``str(value)``, so ``2.5`` for an integer option or ``True`` for a
    number is refused with the command line's message rather than cast."""
    if value is None or option.is_flag or isinstance(option.type, click.types.StringParamType):
        return value
    try:
        if isinstance(option.type, click.Path):
            return option.type.convert(os.fspath(value), option, ctx)
        return option.type.convert(value if isinstance(value, str) else str(value), option, ctx)
    except click.BadParameter as err:
        from xbench.cli import usage_error_line

        raise UserError(usage_error_line(err)) from None


def _evaluate(arguments: dict):
    from xbench.cli.eval_cmd import run_options
    from xbench.distributed import is_main_process

    record = arguments.pop("record")
    ctx = _context()
    checked = {name: _checked(options()[name], value, ctx) if name in options() else value
               for name, value in arguments.items()}
    if record:
        from xbench.results.store import ResultsStore

        ResultsStore().check_recordable()  # before the work, not after it
    results, output = run_options(checked)
    if record and is_main_process():
        from xbench.results.store import record_run

        record_run(results, output)
    return results


def defaults() -> dict:
    """What the command's function receives for each option the command line leaves out."""
    required = [arg for option in options().values() if option.required for arg in (option.opts[0], "-")]
    return eval_cmd.make_context("eval", required, parent=_context().parent).params


def _signature() -> inspect.Signature:
    kw = inspect.Parameter.KEYWORD_ONLY
    given = defaults()
    params = []
    for name, option in options().items():
        if option.required:
            params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD))
        else:
            params.append(inspect.Parameter(name, kw, default=given[name]))
    params += [inspect.Parameter(name, kw, default=default) for name, (default, _) in API_ONLY.items()]
    return inspect.Signature(params)


def _docstring() -> str:
    given = defaults()
    lines = ["Fine-tune ``model`` on each task's English training stages and evaluate it zero-shot:",
             "``xbench eval`` as a function (its options are these keywords, generated from the command).",
             "", "Returns ``xbench.results.run.RunResults`` (``.table(fmt)``, ``.to_pandas()``, ``.to_json()``).",
             "Values may be given as on the command line (strings) or as Python values. A bad value raises",
             "``xbench.errors.UserError`` with the command's message.", "", "Keywords:"]
    for name, option in options().items():
        flag = max(option.opts, key=len) + ("/" + option.secondary_opts[0] if option.secondary_opts else "")
        default = "required" if option.required else f"default {given[name]!r}"
        text = " ".join((option.help or "").split())
        if isinstance(option.type, click.Choice):
            text = (text + " " if text else "") + f"One of {', '.join(map(str, option.type.choices))}."
        if name in PYTHON_VALUES:
            text += f" ({PYTHON_VALUES[name]})"
        lines.append(_entry(f"{name} ({flag}; {default}): {text}"))
    for name, (default, text) in API_ONLY.items():
        lines.append(_entry(f"{name} (default {default!r}): {text}"))
    lines += ["", "Not a keyword: " + "; ".join(f"--{n} ({why})" for n, why in CLI_ONLY.items()) + ".",
              "Also accepted: " + ", ".join(f"{old} (= {new})" for old, new in ALIASES.items()) + "."]
    return "\n".join(lines)


def _entry(text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent="    ", subsequent_indent="        ",
                         break_long_words=False, break_on_hyphens=False)


SIGNATURE = _signature()


def evaluate(*args, **kwargs):
    for old, new in ALIASES.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"evaluate() got both {old}= and {new}= (the same option; give {new}= only)")
            kwargs[new] = kwargs.pop(old)
    bound = SIGNATURE.bind(*args, **kwargs)
    bound.apply_defaults()
    return _evaluate(dict(bound.arguments))


evaluate.__signature__ = SIGNATURE
evaluate.__doc__ = _docstring()
