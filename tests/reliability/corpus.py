"""The bad-input corpus (issue 12): each case is how a user gets it wrong, run as the user runs it.

A case names its category, how to set up the bad input (``setup(ws)`` writes files into the case's
workspace), the command line (``{model}``, ``{data}``, ``{out}``, ``{tmp}``, ``{home}``, ``{malformed}``
are filled in) and the substrings the one ``xbench: error:`` line must hold: what is wrong, where
(file, file:line, option, task/language) and the fix. test_corpus.py applies the same assertions to
every case.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

CATEGORIES = ("spec", "experiment", "data", "model", "cli", "store")


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    argv: tuple[str, ...]
    says: tuple[str, ...]
    setup: Callable | None = None
    env: dict = field(default_factory=dict)
    weak: str = ""  # why the line lacks a "(fix: …)" hint, and whose file it is to add one

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


@dataclass
class Workspace:
    tmp: Path
    model: Path  # the tiny model (shared: copy it before changing it)
    data: Path  # a small data root in XTREME's layout, private to the case
    out: Path
    home: Path

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    def model_copy(self, name: str = "model") -> Path:
        dst = self.tmp / name
        shutil.copytree(self.model, dst)
        return dst


CASES: list[Case] = []


def case(category, name, argv, says, setup=None, env=None, weak=""):
    assert category in CATEGORIES
    CASES.append(Case(category, name, tuple(argv.split()) if isinstance(argv, str) else tuple(argv), tuple(says),
                      setup, env or {}, weak))


# ---- spec: `xbench tasks validate FILE` ---------------------------------------------------------------

SPEC_HEAD = ("name: my_task\nversion: 1\ndescription: a task\ncitation: none\nlicense: MIT\n"
             "type: sequence_classification\nlanguages: [en, de]\nmetrics: [accuracy]\n")
SPEC_DATA = "data:\n  format: tsv\n  splits:\n    test: {size: 10}\nfields: {text_a: s1, label: label}\nlabels: [a, b]\n"


def spec(text: str, name: str = "my_task.yaml"):
    return lambda ws: ws.write(name, text)


VALIDATE = "tasks validate {tmp}/my_task.yaml"
# the spec corpus of tests/spec/malformed, run through the same assertions
for fixture, says in {
    "bad_yaml_syntax": ("bad_yaml_syntax.yaml:3:", "invalid YAML"),
    "unknown_key": ("unknown_key.yaml:3:", "did you mean 'languages'?"),
    "wrong_type": ("wrong_type.yaml:2:", "must be list, not string"),
    "unknown_task_type": ("unknown_task_type.yaml:7:", "did you mean 'sequence_classification'?"),
    "unknown_metric": ("unknown_metric.yaml:14:", "did you mean 'accuracy'?"),
    "include_cycle": ("_cycle_b.yaml:1:", "include cycle"),
    "duplicate_name": ("duplicate_name.yaml:1:", "duplicate task 'xcopa'"),
    "bad_language_code": ("bad_language_code.yaml:2:", "'english' is not an ISO 639 language code"),
    "unknown_data_format": ("unknown_data_format.yaml:9:", "did you mean 'tsv'?"),
    "include_missing_file": ("include_missing_file.yaml:1:", "does not exist"),
    "not_utf8": ("not_utf8.yaml:2:", "not UTF-8"),
    "group_unknown_task": ("group_unknown_task.yaml:5:", "did you mean 'xcopa'?"),
}.items():
    case("spec", fixture, f"tasks validate {{malformed}}/{fixture}.yaml", says)

case("spec", "tab-indentation", VALIDATE, ["my_task.yaml:", "invalid YAML"],
     spec(SPEC_HEAD + SPEC_DATA.replace("  format", "\tformat")))
case("spec", "unknown-key-typo-in-data", VALIDATE, ["my_task.yaml:", "field 'data.fromat'", "did you mean 'format'?"],
     spec(SPEC_HEAD + SPEC_DATA.replace("format:", "fromat:")))
case("spec", "metric-typo-also-primary", VALIDATE, ["my_task.yaml:8:", "unknown metric 'acurracy'",
                                                   "did you mean 'accuracy'?"],
     spec(SPEC_HEAD.replace("metrics: [accuracy]", "metrics: [acurracy]\nprimary_metric: accuracy") + SPEC_DATA))
case("spec", "metrics-not-a-list", VALIDATE, ["my_task.yaml:8:", "field 'metrics'", "must be list"],
     spec(SPEC_HEAD.replace("metrics: [accuracy]", "metrics: accuracy") + SPEC_DATA))
case("spec", "python-tag", VALIDATE, ["my_task.yaml:3:", "!!python/object", "not allowed"],
     spec(SPEC_HEAD.replace("description: a task", "description: !!python/object/apply:os.system ['true']")
          + SPEC_DATA))
case("spec", "duplicate-key", VALIDATE, ["my_task.yaml:9:", "key 'version' given twice (first at line 2)",
                                        "fix: keep one 'version:'"], spec(SPEC_HEAD + "version: 2\n" + SPEC_DATA))
case("spec", "self-include", VALIDATE, ["my_task.yaml:", "include cycle"],
     spec("include: my_task.yaml\n" + SPEC_HEAD + SPEC_DATA))
case("spec", "include-a-folder", VALIDATE, ["my_task.yaml:1:", "include"],
     lambda ws: (ws.write("sub/x.txt", "x"), ws.write("my_task.yaml", "include: sub\n" + SPEC_HEAD + SPEC_DATA)))
case("spec", "language-code-uppercase-word", VALIDATE, ["my_task.yaml:7:", "languages.1", "ISO 639"],
     spec(SPEC_HEAD.replace("[en, de]", "[en, German]") + SPEC_DATA))
case("spec", "no-such-file", "tasks validate {tmp}/nope.yaml", ["nope.yaml", "no such file"])
case("spec", "duplicate-labels", VALIDATE, ["my_task.yaml:14:", "field 'labels'", "'a' listed twice", "fix:"],
     spec(SPEC_HEAD + SPEC_DATA.replace("labels: [a, b]", "labels: [a, b, a]")))
# a pattern or type violation says what is wanted in words, never the schema's regex or its description
case("spec", "name-not-lowercase", VALIDATE, ["my_task.yaml:1:", "field 'name'", "'My-Task' is not a lowercase name",
                                             "fix: give a lowercase name like my_task"],
     spec(SPEC_HEAD.replace("name: my_task", "name: My-Task") + SPEC_DATA))
case("spec", "fields-not-a-mapping", VALIDATE, ["my_task.yaml:13:", "field 'fields'", "must be mapping",
                                               "fix: write mapping here, e.g. `{key: value}`"],
     spec(SPEC_HEAD + SPEC_DATA.replace("{text_a: s1, label: label}", "text_a")))
# a spec on XBENCH_TASK_PATH, asked for by name with `xbench eval --tasks NAME`
ON_PATH = {"XBENCH_TASK_PATH": "{tmp}/tasks"}
EVAL_OWN = "eval --model {model} --tasks my_task --no-finetune --limit 2 --data-dir {data} --output {out}"
case("spec", "same-name-as-a-built-in", EVAL_OWN.replace("my_task", "xcopa"),
     ["tasks/xcopa.yaml:1:", "duplicate task 'xcopa'", "tasks/xtreme_r/xcopa.yaml", "fix: rename one"],
     spec(SPEC_HEAD.replace("my_task", "xcopa") + SPEC_DATA, "tasks/xcopa.yaml"), env=ON_PATH)
case("spec", "asked-for-but-bad-yaml", EVAL_OWN, ["tasks/my_task.yaml:", "invalid YAML", "fix:"],
     spec(SPEC_HEAD + SPEC_DATA.replace("  format", "\tformat"), "tasks/my_task.yaml"), env=ON_PATH)
case("spec", "asked-for-but-schema-invalid", EVAL_OWN, ["tasks/my_task.yaml:8:", "field 'metrics'", "must be list"],
     spec(SPEC_HEAD.replace("metrics: [accuracy]", "metrics: accuracy") + SPEC_DATA, "tasks/my_task.yaml"), env=ON_PATH)
case("spec", "asked-for-but-unknown-metric", EVAL_OWN, ["tasks/my_task.yaml:8:", "unknown metric 'acuracy'",
                                                       "did you mean 'accuracy'?"],
     spec(SPEC_HEAD.replace("[accuracy]", "[acuracy]") + SPEC_DATA, "tasks/my_task.yaml"), env=ON_PATH)
# a valid task whose data is nowhere: every cell missing is no run (it stored one, exit 0)
case("spec", "own-task-no-data-anywhere", EVAL_OWN,
     ["--data-dir", "no cell could be evaluated", "my_task [test] (en, de)", "no data for my_task/test/<lang>", "fix:"],
     spec(SPEC_HEAD + SPEC_DATA, "tasks/my_task.yaml"), env=ON_PATH)

# ---- experiment: `xbench run FILE --dry-run` ------------------------------------------------------------

EXP = "experiment: x\nmodels: [minilm-l6]\nintermediate: {none: none}\ntargets: [xcopa]\nseeds: [1]\n"
RUN = "run {tmp}/exp.yaml --dry-run --output {out}"


def exp(text: str):
    return lambda ws: ws.write("exp.yaml", text)


case("experiment", "unknown-key", RUN, ["exp.yaml:6:", "seedz", "did you mean"], exp(EXP + "seedz: [2]\n"))
case("experiment", "unknown-intermediate-task", RUN, ["exp.yaml:", "siqaa", "siqa"],
     exp(EXP.replace("{none: none}", "\n  a: {tasks: [siqaa]}")))
case("experiment", "unknown-target", RUN, ["exp.yaml:4:", "xcopaa", "xcopa"], exp(EXP.replace("[xcopa]", "[xcopaa]")))
case("experiment", "target-language-not-in-task", RUN, ["exp.yaml:", "'de'"],
     exp(EXP.replace("[xcopa]", "\n  - xcopa: {languages: [de]}")))
case("experiment", "seeds-words", RUN, ["exp.yaml:5:", "field 'seeds.0'", "must be integer", "fix: write integer"],
     exp(EXP.replace("[1]", "[one]")))
case("experiment", "seeds-duplicate", RUN, ["exp.yaml:", "field 'seeds'", "listed twice"], exp(EXP.replace("[1]", "[1, 1]")))
case("experiment", "duplicate-key", RUN, ["exp.yaml:6:", "key 'seeds' given twice", "fix:"], exp(EXP + "seeds: [2]\n"))
case("experiment", "limit-zero", RUN, ["exp.yaml:", "field 'limit'", "too small"], exp(EXP + "limit: 0\n"))
case("experiment", "executor-typo", RUN, ["exp.yaml:6:", "rayy", "ray"], exp(EXP + "executor: rayy\n"))
case("experiment", "yaml-syntax", RUN, ["exp.yaml:", "YAML"], exp(EXP.replace("[xcopa]", "[xcopa")))
case("experiment", "python-tag", RUN, ["exp.yaml:3:", "!!python/object", "not allowed"],
     exp(EXP.replace("{none: none}", "!!python/object/apply:os.system ['true']")))
case("experiment", "not-a-mapping", RUN, ["exp.yaml:1:", "the top level is a list", "experiment:"], exp("- x\n- y\n"))
case("experiment", "empty-file", RUN, ["exp.yaml:1:", "the file is empty", "experiment:"], exp(""))
case("experiment", "missing-targets", RUN, ["exp.yaml:", "targets"], exp(EXP.replace("targets: [xcopa]\n", "")))
case("experiment", "models-not-a-list", RUN, ["exp.yaml:2:", "models"], exp(EXP.replace("[minilm-l6]", "7")))
case("experiment", "bad-sampler", RUN, ["exp.yaml:", "sampler"],
     exp(EXP.replace("{none: none}", "\n  a: {tasks: [siqa], sampler: 'temp:2'}")))
case("experiment", "a-folder-not-a-file", "run {tmp} --dry-run", ["is a folder, not an experiment file", "fix:"])
case("experiment", "cpus-zero", RUN, ["exp.yaml:6:", "field 'resources.cpus'", "fix:"],
     exp(EXP + "resources: {cpus: 0}\n"))
case("experiment", "no-such-file", "run {tmp}/nope.yaml --dry-run", ["nope.yaml"])
case("experiment", "target-split-typo", RUN, ["exp.yaml:5:", "field 'targets.0.xnli.split'", "no split 'valdation'",
                                              "did you mean 'validation'?", "fix:"],
     exp(EXP.replace("[xcopa]", "\n  - xnli: {split: valdation}")))
case("experiment", "target-group-split-typo", RUN, ["exp.yaml:5:", "target xtreme/xnli", "no split 'valdation'",
                                                    "did you mean 'validation'?"],
     exp(EXP.replace("[xcopa]", "\n  - xtreme: {split: 'xnli=valdation'}")))
case("experiment", "target-stage-split-typo", RUN, ["exp.yaml:5:", "train_stages", "mnli has no split 'trian'",
                                                    "did you mean 'train'?"],
     exp(EXP.replace("[xcopa]", "\n  - xnli: {train_stages: 'mnli:trian'}")))
case("experiment", "intermediate-split-typo", RUN, ["exp.yaml:4:", "field 'intermediate.a.tasks.0'",
                                                    "no split 'valdation'", "did you mean 'validation'?"],
     exp(EXP.replace("{none: none}", "\n  a: {tasks: ['xnli:valdation']}")))
case("experiment", "own-target-no-data-anywhere", "run {tmp}/exp.yaml --data-dir {data} --output {out}",
     ["exp.yaml (--data-dir", "no cell could be evaluated", "my_task [test] (en, de)", "fix:"],
     lambda ws: (spec(SPEC_HEAD + SPEC_DATA, "tasks/my_task.yaml")(ws), ws.write("exp.yaml", EXP.replace(
         "[minilm-l6]", f"[{ws.model}]").replace("[xcopa]", "[my_task]") + "limit: 2\n")),
     env={"XBENCH_TASK_PATH": "{tmp}/tasks"})
case("experiment", "model-alias-typo", RUN, ["exp.yaml:2:", "field 'models.0'", "did you mean the alias 'minilm-l6'?"],
     exp(EXP.replace("[minilm-l6]", "[minilm-l66]")))
case("experiment", "name-with-a-space", RUN, ["exp.yaml:1:", "field 'experiment'", "'my exp' is not a name",
                                              "fix: give a name like"], exp(EXP.replace("experiment: x", "experiment: my exp")))
case("experiment", "configuration-name-with-a-space", RUN, ["exp.yaml:3:", "field 'intermediate'",
                                                            "'my conf' is not a configuration name", "fix: name the"],
     exp(EXP.replace("{none: none}", "{'my conf': none}")))

# ---- data: `xbench eval --languages L` reading a bad file (a named language's data must load) --------

EVAL_XNLI = "eval --model {model} --tasks xnli --split dev --no-finetune --limit 2 --data-dir {data} --output {out} --languages de"
DEV_DE = "data/xnli/dev-de.tsv"


def data_file(content, rel=DEV_DE):
    return lambda ws: ws.write(rel, content)


case("data", "label-outside-spec", EVAL_XNLI, ["dev-de.tsv:2:", "xnli", "'maybe'", "labels", "fix:"],
     data_file("a\tb\tentailment\nc\td\tmaybe\n"))
# a file that is there but cannot be used stops the run even for a language not named with --languages
EVAL_XNLI_ALL = EVAL_XNLI.replace(" --languages de", "")
case("data", "label-outside-spec-language-not-named", EVAL_XNLI_ALL, ["dev-de.tsv:2:", "'maybe'", "fix:"],
     data_file("a\tb\tentailment\nc\td\tmaybe\n"))  # --limit 2: the first two rows are read
case("data", "tag-outside-spec", EVAL_XNLI.replace("xnli", "panx"),
     ["dev-de.tsv:4:", "'B-PERSON'", "position 2 of the row's 2 labels", "panx", "fix:"],
     data_file("Berlin\tB-LOC\nist\tO\n\nHans\tO\nlacht\tB-PERSON\n", "data/panx/dev-de.tsv"))
case("data", "unreadable-file", EVAL_XNLI, ["dev-de.tsv", "cannot read", "fix:"],  # as root, chmod 000 reads fine
     lambda ws: ((ws.data / "xnli" / "dev-de.tsv").unlink(), (ws.data / "xnli" / "dev-de.tsv").symlink_to("/proc/self/mem")))
case("data", "folder-instead-of-file-language-not-named", EVAL_XNLI_ALL,
     ["dev-de.tsv", "a folder where the layout expects a data file", "fix:"],
     lambda ws: ((ws.data / "xnli" / "dev-de.tsv").unlink(), (ws.data / "xnli" / "dev-de.tsv").mkdir()))
case("data", "binary-file-language-not-named", EVAL_XNLI_ALL, ["dev-de.tsv:", "not valid UTF-8", "fix:"],
     data_file(bytes(range(256)) * 40))
case("data", "every-row-wrong-column-count", EVAL_XNLI,
     ["dev-de.tsv:1:", "every row was skipped", "2 tab-separated columns, expected 3", "fix:"],
     data_file("a\tb\nc\td\n"))
case("data", "latin1", EVAL_XNLI, ["dev-de.tsv:2:", "not valid UTF-8", "iconv"],
     data_file("a\tb\tentailment\n".encode() + "caf\xe9\tb\tneutral\n".encode("latin-1")))
case("data", "mixed-encodings", EVAL_XNLI, ["dev-de.tsv:3:", "not valid UTF-8"],
     data_file("ä\tb\tentailment\nc\td\tneutral\n".encode() + "\xfc\tb\tneutral\n".encode("cp1252")))
case("data", "utf16-export", EVAL_XNLI, ["dev-de.tsv:1:", "not valid UTF-8"],
     data_file("a\tb\tentailment\n".encode("utf-16")))
case("data", "gzip-named-tsv", EVAL_XNLI, ["dev-de.tsv:", "is a gzip-compressed file, not text", "gunzip", "dev-de.tsv.gz"],
     data_file(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05\x00\x00\x00"))
case("data", "broken-symlink", EVAL_XNLI, ["dev-de.tsv", "a broken symbolic link", "fix:"],
     lambda ws: ((ws.data / "xnli" / "dev-de.tsv").unlink(), (ws.data / "xnli" / "dev-de.tsv").symlink_to(ws.tmp / "gone.tsv")))
case("data", "empty-file", EVAL_XNLI, ["dev-de.tsv", "empty", "fix:"], data_file(""))
case("data", "only-blank-lines", EVAL_XNLI, ["dev-de.tsv", "no data rows"], data_file("\n\n  \n"))
case("data", "folder-instead-of-file", EVAL_XNLI, ["dev-de.tsv", "a folder where the layout expects a data file"],
     lambda ws: ((ws.data / "xnli" / "dev-de.tsv").unlink(), (ws.data / "xnli" / "dev-de.tsv").mkdir()))
case("data", "100mb-single-line", EVAL_XNLI, ["dev-de.tsv:1:", "field larger than field limit", "quoting"],
     data_file("a" * (100 * 1024 * 1024) + "\tb\tneutral\n"))
case("data", "unclosed-quote", EVAL_XNLI, ["dev-de.tsv:", "every row was skipped"],
     data_file('"a\tb\tentailment\nc\td\tneutral\n'))
case("data", "truncated-json", "eval --model {model} --tasks xquad --no-finetune --limit 2 --data-dir {data} "
     "--output {out} --languages de", ["xquad.de.json:1:", "the JSON ends early", "re-download"],
     data_file('{"version": "1", "data": [{"title": "t", "par', "data/xquad/xquad.de.json"))
case("data", "json-not-squad", "eval --model {model} --tasks xquad --no-finetune --limit 2 --data-dir {data} "
     "--output {out} --languages de", ["xquad.de.json", "fix:"],
     data_file('[1, 2, 3]', "data/xquad/xquad.de.json"))
case("data", "misaligned-parallel", "eval --model {model} --tasks bucc2018 --split dev --no-finetune --limit 2 "
     "--data-dir {data} --output {out} --languages zh", ["zh-en.dev.gold:1:", "no gold pairs", "fix:"],
     lambda ws: (ws.write("data/bucc2018/zh-en.dev.zh", "zh-1\tx\n"), ws.write("data/bucc2018/zh-en.dev.en", "en-1\tx\n"),
                 ws.write("data/bucc2018/zh-en.dev.gold", "zh-1\n")))
case("data", "gold-file-blank", "eval --model {model} --tasks bucc2018 --split dev --no-finetune --limit 2 "
     "--data-dir {data} --output {out} --languages zh", ["zh-en.dev.gold", "no gold pairs (only blank lines)", "fix:"],
     lambda ws: (ws.write("data/bucc2018/zh-en.dev.zh", "zh-1\tx\n"), ws.write("data/bucc2018/zh-en.dev.en", "en-1\tx\n"),
                 ws.write("data/bucc2018/zh-en.dev.gold", "\n\n")))
# a training file that is there but holds nothing stops the run (it used to leave every cell "missing", exit 0)
EVAL_PANX = ("eval --model {model} --tasks panx --split dev --languages de --limit 2 --train-limit 2 --data-dir {data} "
             "--output {out}")
PANX_DEV = "Berlin\tB-LOC\nist\tO\n\nHans\tB-PER\nlacht\tO\n"
case("data", "empty-train-file", EVAL_PANX, ["train-en.tsv", "empty", "training data of stage panx:train, en", "fix:"],
     lambda ws: (ws.write("data/panx/dev-de.tsv", PANX_DEV), ws.write("data/panx/train-en.tsv", "")))
case("data", "blank-train-file", EVAL_PANX.replace(" --languages de", ""),
     ["train-en.tsv", "only blank lines", "training data of stage panx:train, en", "fix:"],
     lambda ws: (ws.write("data/panx/dev-de.tsv", PANX_DEV), ws.write("data/panx/train-en.tsv", "\n\n  \n")))
EVAL_XCOPA = ("eval --model {model} --tasks xcopa --split validation --languages et --no-finetune --limit 3 "
              "--data-dir {data} --output {out}")


def xcopa_rows(*edits, lang="et"):
    """XCOPA jsonl rows (CRLF, as released) with ``edits`` (index -> changed keys) applied."""
    rows = [{"premise": f"p{i}", "choice1": "a", "choice2": "b", "question": "cause", "label": i % 2, "idx": i}
            for i in range(3)]
    for index, change in edits:
        rows[index].update(change)
    return lambda ws: ws.write(f"data/xcopa/val.{lang}.jsonl", "".join(json.dumps(r) + "\r\n" for r in rows))


case("data", "choice-label-outside-choices", EVAL_XCOPA,
     ["val.et.jsonl:2:", "label 2 is outside {0, 1}", "choice1/choice2", "fix:"], xcopa_rows((1, {"label": 2})))
case("data", "duplicate-item-id", EVAL_XCOPA,
     ["val.et.jsonl:3:", "item id '0' occurs twice (first at line 1)", "fix:"], xcopa_rows((2, {"idx": 0})))
case("data", "skipped-row-misaligns-parallel-english", EVAL_XCOPA,
     ["val.et.jsonl:2:", "malformed row(s) were skipped", "cannot be aligned by position", "copa/validation/en",
      "fix:"],
     lambda ws: (xcopa_rows(lang="en")(ws), ws.write("data/xcopa/val.et.jsonl", (ws.data / "xcopa" / "val.en.jsonl")
                 .read_text().replace('"p1"', '"p1', 1))))
case("data", "empty-intermediate-file", "run {tmp}/exp.yaml --dry-run --data-dir {data} --output {out}",
     ["dev-en.tsv", "empty", "training data of intermediate task xnli:validation, en", "fix:"],
     lambda ws: (ws.write("data/xnli/dev-en.tsv", ""), ws.write("exp.yaml", EXP.replace(
         "{none: none}", "{a: {tasks: ['xnli:validation']}}").replace("[xcopa]", "[xnli]"))))
case("data", "data-dir-a-task-folder", EVAL_XNLI.replace("--data-dir {data}", "--data-dir {data}/xnli"),
     ["/xnli", "looks like the folder of task", "xnli", "fix: pass its parent", "as --data-dir"])
case("data", "data-check-finds-malformed-rows", "data check --data-dir {data} --tasks xnli --languages de",
     ["data check: 1 problem in 1 cell", "xnli/validation/de [malformed]", "dev-de.tsv:2", "fix:"],
     data_file("a\tb\tentailment\nonly one column\nc\td\tneutral\n"))

# ---- model: `xbench eval --model FOLDER` --------------------------------------------------------------

EVAL_MODEL = "eval --model {tmp}/model --tasks xnli --split dev --limit 2 --train-limit 2 --data-dir {data} --output {out}"


def model_edit(edit):
    def setup(ws):
        edit(ws.model_copy())
    return setup


case("model", "missing-folder", EVAL_MODEL, ["--model", "/model", "no such folder", "fix:"])
case("model", "empty-folder", EVAL_MODEL, ["--model", "the folder is empty", "fix:"],
     lambda ws: (ws.tmp / "model").mkdir())
case("model", "no-config", EVAL_MODEL, ["--model", "no config.json", "fix:"],
     model_edit(lambda m: (m / "config.json").unlink()))
case("model", "corrupt-config", EVAL_MODEL, ["config.json:1:", "not valid JSON", "fix:"],
     model_edit(lambda m: (m / "config.json").write_text('{"model_type": "bert", ')))
case("model", "config-a-list", EVAL_MODEL, ["config.json", "must be a JSON object", "fix:"],
     model_edit(lambda m: (m / "config.json").write_text("[1, 2]")))
case("model", "config-without-model-type", EVAL_MODEL, ["config.json", "no 'model_type' key", "fix:"],
     model_edit(lambda m: (m / "config.json").write_text("{}")))
case("model", "experiment-model-missing", "run {tmp}/exp.yaml --dry-run --output {out}",
     ["exp.yaml:2:", "field 'models.0'", "/nonexistent/model: no such folder", "fix:"],
     lambda ws: ws.write("exp.yaml", EXP.replace("[minilm-l6]", "[/nonexistent/model]")))
case("model", "no-tokenizer", EVAL_MODEL, ["--model", "no tokenizer files", "save_pretrained"],
     model_edit(lambda m: [(m / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json")]))
case("model", "remote-code-required", EVAL_MODEL, ["--trust-remote-code"],
     model_edit(lambda m: (m / "config.json").write_text(json.dumps(
         {**json.loads((m / "config.json").read_text()), "model_type": "xbench_custom",
          "auto_map": {"AutoConfig": "custom.Config", "AutoModel": "custom.Model"}}))))
case("model", "auto-map-on-a-known-type", EVAL_MODEL, ["model/config.json: asks to run Python code shipped with the model (auto_map)",
                                                       "--trust-remote-code", "remove auto_map"],
     model_edit(lambda m: (m / "config.json").write_text(json.dumps(
         {**json.loads((m / "config.json").read_text()), "auto_map": {"AutoModel": "custom.Model"}}))))


def vocabulary_lost(m):
    """tokenizer.json gone, tokenizer_config.json kept: transformers builds a tokenizer of the special
    tokens alone, which maps every word to [UNK]."""
    (m / "tokenizer.json").unlink()
    doc = json.loads((m / "tokenizer_config.json").read_text())
    doc.pop("backend", None)
    (m / "tokenizer_config.json").write_text(json.dumps({**doc, "tokenizer_class": "BertTokenizer"}))


case("model", "tokenizer-without-vocabulary", EVAL_MODEL, ["--model", "the tokenizer has 5 tokens",
                                                           "vocab_size", "fix:"], model_edit(vocabulary_lost))
case("model", "pickle-only-weights", EVAL_MODEL, ["pytorch_model.bin", "--allow-pickle"],
     model_edit(lambda m: (m / "model.safetensors").rename(m / "pytorch_model.bin")))
case("model", "a-file-not-a-folder", "eval --model {tmp}/model.zip --tasks xnli --data-dir {data} --output {out}",
     ["--model", "model.zip", "is a file, not a checkpoint folder"], lambda ws: ws.write("model.zip", b"PK\x03\x04"))
case("model", "adapter-causal-lm-on-encoder", "eval --model {model} --adapter causal-lm --tasks xnli --split dev "
     "--languages de --no-finetune --limit 1 --data-dir {data} --output {out}",
     ["--adapter causal-lm", "config.json", "model_type 'bert'", "BertModel", "fix: drop --adapter"])
case("model", "adapter-hf-on-causal-lm", EVAL_MODEL + " --adapter hf",
     ["--adapter hf", "config.json", "GPT2LMHeadModel", "fix: --adapter causal-lm"],
     model_edit(lambda m: (m / "config.json").write_text(json.dumps(
         {**json.loads((m / "config.json").read_text()), "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}))))
case("model", "alias-typo", "eval --model minilm-l66 --tasks xnli --data-dir {data} --output {out}",
     ["--model minilm-l66", "did you mean the alias 'minilm-l6'?"])
# weights found damaged only when loaded (--no-finetune: the folder itself is loaded); the 13 languages
# without data would be missing cells: none may be written when the model fails
EVAL_LOADS = "eval --model {tmp}/model --tasks xnli --split dev --limit 2 --no-finetune --data-dir {data} --output {out}"


def cut_weights(keep):
    def edit(m):
        weights = m / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:keep(weights.stat().st_size)])
    return model_edit(edit)


CUT = ["model weights file", "model.safetensors", "is cut short", "re-download or re-save the model"]
case("model", "weights-truncated", EVAL_LOADS, CUT + ["bytes the header declares"], cut_weights(lambda n: n // 2))
case("model", "weights-header-table-cut", EVAL_LOADS, CUT + ["of at least", "bytes the header declares"],
     cut_weights(lambda n: 20))
case("model", "weights-header-length-cut", EVAL_LOADS, CUT + ["too short even for the 8-byte header length"],
     cut_weights(lambda n: 4))
case("model", "weights-not-safetensors", EVAL_LOADS, ["model.safetensors", "cannot be read by safetensors", "fix:"],
     model_edit(lambda m: (m / "model.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b"{not json here!}")))
PHASE2 = ("experiment: x\nmodels: [{model}]\nintermediate: {{a: {{tasks: ['xnli:validation']}}}}\n"
          "intermediate_training: {{max_steps: 1, limit: 2, batch_size: 2}}\ntargets: [xnli]\nseeds: [1]\n")


def phase2_with_cut_weights(ws):
    cut_weights(lambda n: n // 2)(ws)
    ws.write("exp.yaml", PHASE2.format(model=ws.tmp / "model"))


case("model", "weights-truncated-in-a-run-job", "run {tmp}/exp.yaml --data-dir {data} --output {out}",
     CUT + ["bytes the header declares"], phase2_with_cut_weights)

# a config.json that does not describe its weights: transformers would newly initialise the weights that
# do not fit and evaluate random ones; only a task head may be new (EVAL_LOADS: the folder itself is loaded)


def config_edit(**fields):
    def edit(m):
        doc = json.loads((m / "config.json").read_text())
        (m / "config.json").write_text(json.dumps({**doc, **fields}))
    return edit


def with_bert_prefix(m):
    """Weights saved from a model with a head (named 'bert.…', as hub BERT checkpoints are)."""
    from transformers import BertForSequenceClassification

    BertForSequenceClassification.from_pretrained(m, num_labels=3).save_pretrained(m)


REFIT = "restore config.json as it was saved with the weights"
case("model", "config-hidden-size-changed", EVAL_LOADS,
     ["model/config.json:", "bert.embeddings.word_embeddings.weight", "[120, 32] in the checkpoint",
      "[120, 64] by config.json", "hidden_size", REFIT], model_edit(config_edit(hidden_size=64)))
case("model", "config-more-layers-than-weights", EVAL_LOADS,
     ["model/config.json:", "lack bert.encoder.layer.2.", "newly initialised", REFIT],
     model_edit(config_edit(num_hidden_layers=4)))
case("model", "config-fewer-layers-than-weights", EVAL_LOADS,
     ["model/config.json:", "encoder.layer.1.", "would be dropped", REFIT], model_edit(config_edit(num_hidden_layers=1)))
case("model", "config-model-type-changed", EVAL_LOADS,
     ["model/config.json:", "model_type 'roberta'", "roberta.embeddings.word_embeddings.weight", "'bert.…'",
      "fix: set model_type"], model_edit(lambda m: (with_bert_prefix(m), config_edit(model_type="roberta")(m))))
case("model", "config-model-type-relabelled", EVAL_LOADS,
     ["model/config.json:", "model_type is 'roberta'", "saved from BertModel", "fix: set model_type back to 'bert'"],
     model_edit(config_edit(model_type="roberta")))
case("model", "config-negative-max-positions", EVAL_LOADS,
     ["model/config.json:", "no model can be built from it", "'max_position_embeddings'", "fix: correct that field"],
     model_edit(config_edit(max_position_embeddings=-1)))
case("model", "config-hidden-size-zero", EVAL_LOADS,
     ["model/config.json:", "no model can be built from it", "'hidden_size'", "fix: correct that field"],
     model_edit(config_edit(hidden_size=0)))
case("model", "config-heads-do-not-divide", EVAL_LOADS,
     ["model/config.json:", "not a multiple of the number of attention heads", "fix:"],
     model_edit(config_edit(num_attention_heads=3)))
# a damaged tokenizer file, found when the tokenizer loads or first encodes (before any data is read)
TOK_FIX = "re-save the tokenizer"


def vocab_txt_only(text):
    def edit(m):
        (m / "tokenizer.json").unlink()
        doc = json.loads((m / "tokenizer_config.json").read_text())
        doc.pop("backend", None)
        (m / "tokenizer_config.json").write_text(json.dumps({**doc, "tokenizer_class": "BertTokenizer"}))
        (m / "vocab.txt").write_text(text)
    return edit


def cut_tokenizer_json(m):
    text = (m / "tokenizer.json").read_text()
    (m / "tokenizer.json").write_text(text[:len(text) // 2])


case("model", "vocab-txt-empty", EVAL_LOADS, ["model/vocab.txt:", "is empty", TOK_FIX],
     model_edit(vocab_txt_only("")))
case("model", "tokenizer-json-truncated", EVAL_LOADS,
     ["model/tokenizer.json:", "the JSON ends early", TOK_FIX], model_edit(cut_tokenizer_json))
case("model", "tokenizer-json-empty", EVAL_LOADS, ["model/tokenizer.json:", "is empty", TOK_FIX],
     model_edit(lambda m: (m / "tokenizer.json").write_text("")))
case("model", "tokenizer-json-truncated-in-data-check", "data check --tasks xnli --languages de --model {tmp}/model "
     "--data-dir {data}", ["model/tokenizer.json:", "the JSON ends early", TOK_FIX], model_edit(cut_tokenizer_json))
case("model", "tokenizer-config-not-json", EVAL_LOADS,
     ["model/tokenizer_config.json:1:", "not valid JSON", TOK_FIX],
     model_edit(lambda m: (m / "tokenizer_config.json").write_text("tokenizer_class: BertTokenizer\n")))


def phase2_with(edit):
    def setup(ws):
        model_edit(edit)(ws)
        ws.write("exp.yaml", PHASE2.format(model=ws.tmp / "model"))
    return setup


case("model", "config-hidden-size-changed-in-a-run-job", "run {tmp}/exp.yaml --data-dir {data} --output {out}",
     ["model/config.json:", "[120, 32] in the checkpoint", REFIT], phase2_with(config_edit(hidden_size=64)))
case("model", "tokenizer-json-truncated-in-a-run", "run {tmp}/exp.yaml --data-dir {data} --output {out}",
     ["model/tokenizer.json:", "the JSON ends early", TOK_FIX], phase2_with(cut_tokenizer_json))

# ---- cli ----------------------------------------------------------------------------------------------

EVAL = "eval --model {model} --data-dir {data} --output {out}"
case("cli", "unknown-task", EVAL + " --tasks xnlii", ["unknown task 'xnlii'", "did you mean 'xnli'?"])
case("cli", "task-in-capitals", EVAL + " --tasks XNLI", ["unknown task 'XNLI'", "did you mean 'xnli'?"])
case("cli", "unknown-group", EVAL + " --tasks xtremee", ["unknown task 'xtremee'", "did you mean 'xtreme'?"])
case("cli", "unknown-task-in-group", EVAL + " --tasks xtreme/xnlii", ["group 'xtreme' has no task 'xnlii'", "xnli"])
case("cli", "task-not-in-group", "tasks show xtreme/xcopa", ["group 'xtreme' has no task 'xcopa'", "fix:"])
case("cli", "unknown-language", EVAL + " --tasks xnli --languages dee",
     ["--languages", "'dee'", "xnli", "did you mean 'de' (German)?"])
case("cli", "language-name", EVAL + " --tasks xnli --languages German",
     ["--languages", "unknown language 'German'", "xnli", "did you mean 'de' (German)?"])
case("cli", "language-name-lowercase-per-task", EVAL + " --tasks xnli --languages xnli=french",
     ["'french'", "did you mean 'fr' (French)?"])
case("cli", "language-name-not-in-task", EVAL + " --tasks xnli --languages Estonian",
     ["unknown language 'Estonian' for task xnli; 'Estonian' is 'et' (Estonian), which is not on offer",
      "fix:"])
case("cli", "language-in-capitals", EVAL + " --tasks xnli --languages DE", ["'DE'", "did you mean 'de' (German)?"])
case("cli", "language-iso639-3", EVAL + " --tasks xnli --languages deu", ["'deu'", "did you mean 'de' (German)?"])
case("cli", "retrieval-layer-no-retrieval-task", EVAL + " --tasks xnli --retrieval-layer 6",
     ["--retrieval-layer 6", "retrieval tasks", "(xnli)", "tatoeba", "fix: drop --retrieval-layer"])
case("cli", "train-limit-zero-shot-task", EVAL + " --tasks tatoeba --train-limit 5",
     ["--train-limit 5", "tasks that fine-tune", "(tatoeba)", "xnli", "fix:"])
case("cli", "epochs-no-finetune", EVAL + " --tasks xnli --epochs 2 --no-finetune",
     ["--epochs 2 does nothing with --no-finetune", "fix: drop one"])
case("cli", "num-fewshot-encoder", EVAL + " --tasks xnli --split dev --languages de --no-finetune --limit 1 "
     "--num-fewshot 3", ["--num-fewshot 3", "prompted evaluation", "adapter hf", "fix:"])
case("cli", "languages-bad-syntax", EVAL + " --tasks xnli --languages xnli=de;=fr", ["--languages"])
case("cli", "seeds-range-syntax", EVAL + " --tasks xnli --seeds 1..3", ["--seeds", "'1..3'", "1,2,3"])
case("cli", "seeds-empty", EVAL + " --tasks xnli --seeds ,", ["--seeds"])
case("cli", "languages-empty-value", EVAL + " --tasks xnli --languages xnli=", ["--languages", "'xnli='", "no language", "fix:"])
case("cli", "split-empty-value", EVAL + " --tasks xnli --split xnli=", ["--split", "'xnli='", "no split", "fix:"])
case("cli", "train-stage-split-typo", EVAL + " --tasks xnli --split dev --languages de --train-stages mnli:trian",
     ["--train-stages", "mnli has no split 'trian'", "did you mean 'train'?", "fix:"])
case("cli", "split-unknown", EVAL + " --tasks xnli --split devv", ["xnli", "no split 'devv'", "fix:"])
case("cli", "split-for-other-task", EVAL + " --tasks xnli --split panx=dev", ["--split names panx", "fix:"])
case("cli", "limit-zero", EVAL + " --tasks xnli --limit 0", ["--limit 0", "fix:"])
case("cli", "limit-negative", EVAL + " --tasks xnli --limit=-1", ["--limit -1", "fix:"])
case("cli", "batch-size-zero", EVAL + " --tasks xnli --batch-size 0", ["--batch-size 0", "fix:"])
case("cli", "batch-size-negative", EVAL + " --tasks xnli --batch-size=-4", ["--batch-size -4", "fix:"])
case("cli", "limit-not-a-number", EVAL + " --tasks xnli --limit ten", ["xbench eval", "--limit", "'ten'", "--help"])
case("cli", "unknown-option-typo", EVAL + " --tasks xnli --seed 1", ["xbench eval", "--seed", "--help"])
case("cli", "bad-choice", EVAL + " --tasks xnli --device gpu", ["--device", "'gpu'", "cpu"])
case("cli", "conflicting-stages-no-finetune", EVAL + " --tasks xnli --train-stages mnli:train --no-finetune",
     ["--train-stages does nothing with --no-finetune", "drop one"])
case("cli", "address-without-ray", EVAL + " --tasks xnli --address auto", ["--address", "--executor ray"])
case("cli", "executor-typo", EVAL + " --tasks xnli --executor rayy", ["rayy", "did you mean 'ray'?"])
case("cli", "perturb-typo", EVAL + " --tasks xnli --perturb typoo", ["--perturb typoo", "did you mean 'typo'?"])
case("cli", "output-is-a-file", "eval --model {model} --data-dir {data} --tasks xnli --split dev --languages en "
     "--no-finetune --limit 1 --output {tmp}/file.txt", ["--output", "file.txt", "not a directory", "fix:"],
     lambda ws: ws.write("file.txt", "keep me\n"))
case("cli", "output-not-writable", "eval --model {model} --data-dir {data} --tasks xnli --split dev --languages en "
     "--no-finetune --limit 1 --output /proc/xbench-out", ["--output /proc/xbench-out", "fix:"])
case("cli", "xbench-home-not-writable", "eval --model {model} --data-dir {data} --tasks xnli --split dev "
     "--languages en --no-finetune --limit 1 --output {out}", ["XBENCH_HOME=", "fix: set XBENCH_HOME"],
     env={"XBENCH_HOME": "/proc/xbench-home"})
case("cli", "cpu-workers-not-a-number", EVAL_XNLI + " --device cpu", ["XBENCH_CPU_WORKERS='two'", "fix:"],
     env={"XBENCH_CPU_WORKERS": "two"})
case("cli", "data-dir-missing", "eval --model {model} --tasks xnli --data-dir {tmp}/nodata --output {out}",
     ["--data-dir", "nodata", "no such folder", "fix:"])
case("cli", "format-not-offered", EVAL + " --tasks xnli --format xml", ["--format", "'xml'", "json"])
case("cli", "missing-argument", "tasks show", ["xbench tasks show", "Missing argument 'ADDRESS'", "--help"])
case("cli", "perturb-needs-lexicon", EVAL + " --tasks xnli --perturb code_switch:0.3", ["lexicon", "fix:"])
case("cli", "perturb-unknown-option", EVAL + " --tasks xnli --perturb typo:0.1,foo=bar", ["'foo'", "fix:"])
case("cli", "data-check-language-typo", "data check --data-dir {data} --tasks xnli --languages dee",
     ["dee", "fix: use one of"])
case("cli", "data-check-layout-typo", "data check --data-dir {data} --layout xtremee --tasks xnli",
     ["xtremee", "fix: use one of"])
case("cli", "train-output-a-file", "train --model {model} --tasks mnli --output {tmp}/f.txt --limit 2 --data-dir {data}",
     ["--output", "f.txt", "is a file"], lambda ws: ws.write("f.txt", "x"))
case("cli", "run-output-a-file", "run {tmp}/exp.yaml --dry-run --output {tmp}/f.txt", ["--output", "f.txt", "is a file", "fix:"],
     lambda ws: (ws.write("f.txt", "x"), ws.write("exp.yaml", EXP)))
case("cli", "unknown-subcommand", "tasks lsit", ["xbench tasks", "lsit", "--help"])
case("cli", "languages-repeated", EVAL + " --tasks xnli --languages en,de,de",
     ["--languages", "'de' given twice", "fix: list each language once, e.g. --languages en,de"])
case("cli", "languages-repeated-per-task", EVAL + " --tasks xnli --languages xnli=en,de,de",
     ["--languages", "'de' given twice for task xnli", "fix:", "'xnli=en,de'"])
case("cli", "languages-task-repeated", EVAL + " --tasks xnli --languages xnli=en;xnli=de",
     ["--languages", "task xnli given twice", "fix:", "xnli=en,de"])
case("cli", "languages-inside-tasks", EVAL + " --tasks panx:en,de",
     ["--tasks panx:en,de", "'panx:en' puts languages in --tasks", "fix: --tasks panx --languages panx=en,de"])
case("cli", "split-inside-tasks", EVAL + " --tasks xtreme/panx:dev",
     ["'xtreme/panx:dev' puts a split in --tasks", "fix: --tasks xtreme/panx --split panx=dev"])
case("cli", "retrieval-layer-beyond-the-model", EVAL + " --tasks tatoeba --retrieval-layer 99",
     ["--retrieval-layer 99", "has 2 hidden layers", "0..2", "fix: give --retrieval-layer 0..2"])
case("cli", "tasks-repeated", EVAL + " --tasks xnli,xnli", ["--tasks xnli,xnli", "task xnli given twice", "fix:"])
case("cli", "tasks-group-and-its-task", EVAL + " --tasks xtreme,xtreme/xnli",
     ["task xtreme/xnli selected twice, by 'xtreme' and 'xtreme/xnli'", "fix:"])

# ---- store: a results.sqlite that cannot be read --------------------------------------------------------


def store_file(make):
    def setup(ws):
        ws.home.mkdir(parents=True, exist_ok=True)
        make(ws.home / "results.sqlite")
    return setup


def _foreign(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER, name TEXT)")
        conn.execute("INSERT INTO runs VALUES (1, 'another program')")


def _damaged(path):
    """A real store with runs, its middle pages overwritten: SQLite finds the damage when reading."""
    from xbench.results import CellResult, RunResults
    from xbench.results.store import ResultsStore

    store = ResultsStore(path)
    for i in range(40):
        store.record_run(RunResults(config={"model": "m"}, cells=[
            CellResult(task="xnli", address="xnli", language="de", split="test", seed=i, metrics={"accuracy": 0.5},
                       info={"padding": "x" * 3000})]))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    data = bytearray(path.read_bytes())
    data[4096:len(data) - 4096] = b"\xff" * (len(data) - 8192)
    path.write_bytes(bytes(data))


MOVE_ASIDE = ("results.sqlite", "not a readable xbench results store", "mv ")
case("store", "random-bytes", "leaderboard", MOVE_ASIDE, store_file(lambda p: p.write_bytes(b"\x07garbage" * 500)))
case("store", "eval-into-a-broken-store", EVAL_XNLI, MOVE_ASIDE,  # said before the work, nothing written
     store_file(lambda p: p.write_bytes(b"\x07garbage" * 500)))
case("store", "a-text-file", "leaderboard", MOVE_ASIDE, store_file(lambda p: p.write_text("model,score\nx,1\n")))
case("store", "foreign-sqlite", "leaderboard", MOVE_ASIDE + ("table 'runs' lacks column(s)",), store_file(_foreign))
case("store", "damaged-pages", "leaderboard", ("results.sqlite", "mv "), store_file(_damaged))
case("store", "store-option-a-folder", "leaderboard --store {tmp}", ("--store", "is a directory"))
case("store", "a-folder", "leaderboard", ("results.sqlite", "is not a file", "mv "), store_file(lambda p: p.mkdir()))
case("store", "store-option-a-text-file", "leaderboard --store {tmp}/notes.txt", ("notes.txt", "mv "),
     lambda ws: ws.write("notes.txt", "hello\n" * 100))
case("store", "experiment-table-corrupt", "leaderboard --experiment x", MOVE_ASIDE,
     store_file(lambda p: p.write_bytes(b"\x00junk" * 300)))
case("store", "analyze-corrupt", "analyze gains some-run-id", MOVE_ASIDE,
     store_file(lambda p: p.write_bytes(b"\x00junk" * 300)))


# ---- store: reading commands pointed at no store, the wrong file, or names the store lacks -------------
NO_RESULTS = ("no results stored in", "yet", "fix: run `xbench eval` first")
case("store", "zero-byte-store", "leaderboard", NO_RESULTS, store_file(lambda p: p.write_bytes(b"")))
case("store", "zero-byte-store-report", "report --experiment x --html {tmp}/r.html", NO_RESULTS,
     store_file(lambda p: p.write_bytes(b"")))
case("store", "zero-byte-store-analyze", "analyze gains --experiment x", NO_RESULTS,
     store_file(lambda p: p.write_bytes(b"")))
case("store", "store-option-missing-file", "leaderboard --store /nonexistent/x.sqlite",
     ("no results stored in /nonexistent/x.sqlite yet", "fix:"))
case("store", "store-option-a-results-json", "leaderboard --store {tmp}/run/results.json",
     ("results.json: is a results.json of one run, not a results store", "fix:", "xbench report"),
     lambda ws: ws.write("run/results.json", json.dumps({"run_id": "r1", "config": {}, "cells": []})))


def _experiment_store(ws):
    """Two stored runs of experiment 'x' (configurations none and siqa), no run folders."""
    from xbench.results import CellResult, RunResults
    from xbench.results.store import ResultsStore

    store = ResultsStore(ws.home / "results.sqlite")
    for name in ("none", "siqa"):
        store.record_run(RunResults(config={"model": f"m [x:{name}]", "base_model": "m", "experiment": "x",
                                            "intermediate": name}, cells=[
            CellResult(task="xcopa", address="xcopa", language="et", split="test", seed=1, metrics={"accuracy": .5})]))


case("store", "leaderboard-group-typo", "leaderboard --group xtremee",
     ("--group xtremee", "unknown group 'xtremee'", "did you mean 'xtreme'?", "fix:"), _experiment_store)
case("store", "leaderboard-unknown-model", ["leaderboard", "--model", "m [x:sqia]"],
     ("--model m [x:sqia]", "no runs of this model", "did you mean 'm [x:siqa]'?", "fix:"), _experiment_store)
case("store", "leaderboard-experiment-typo", "leaderboard --experiment xx",
     ("--experiment xx", "no runs of experiment 'xx'", "did you mean 'x'?", "fix: use a stored experiment: x"),
     _experiment_store)
case("store", "report-baseline-typo", "report --experiment x --baseline nonee --html {tmp}/r.html",
     ("--baseline nonee", "did you mean 'none'?", "fix: use one of the runs' configurations: none, siqa"),
     _experiment_store)
case("store", "analyze-compare-typo", "analyze gains --experiment x --compare siq",
     ("--compare siq", "did you mean 'siqa'?", "fix:"), _experiment_store)
case("store", "analyze-run-id-typo", "analyze gains 0123abcd-nope", ("0123abcd-nope", "neither a run folder nor a run id",
                                                                   "fix:"), _experiment_store)
