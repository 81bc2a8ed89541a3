"""Task samplers for multi-task training: formulas, empirical frequencies, determinism, parsing."""

import math

import pytest

from xbench.errors import UserError
from xbench.train.samplers import SamplerSpec, TaskSampler, parse_sampler

SIZES = {"a": 100, "b": 1000, "c": 10000}
N_DRAWS = 10_000


def expected(text, sizes=SIZES):
    """The formula of each sampler, written out independently of the module."""
    name, _, arg = text.partition(":")
    if name == "uniform":
        w = {t: 1.0 for t in sizes}
    elif name == "proportional":
        w = {t: float(n) for t, n in sizes.items()}
    elif name == "capped":
        w = {t: float(min(n, int(arg))) for t, n in sizes.items()}
    else:
        w = {t: n ** (1 / float(arg)) for t, n in sizes.items()}
    total = sum(w.values())
    return {t: x / total for t, x in w.items()}


@pytest.mark.parametrize("text", ["uniform", "proportional", "capped:500", "temperature:2", "temperature:0.5"])
def test_probabilities_follow_formula(text):
    probs = parse_sampler(text).probabilities(SIZES)
    assert list(probs) == list(SIZES)
    assert probs == pytest.approx(expected(text), rel=1e-12)
    assert math.fsum(probs.values()) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("text", ["uniform", "proportional", "capped:500", "temperature:2"])
def test_frequencies_within_two_standard_errors(text):
    # Deterministic for the fixed seed; the 2-SE bound is what a correct sampler meets for it.
    counts = TaskSampler(parse_sampler(text), SIZES, seed=0).counts(N_DRAWS)
    assert sum(counts.values()) == N_DRAWS
    for task, p in expected(text).items():
        se = math.sqrt(p * (1 - p) / N_DRAWS)
        assert abs(counts[task] / N_DRAWS - p) <= 2 * se, (task, counts[task], p)


def test_temperature_one_is_exactly_proportional():
    assert parse_sampler("temperature:1").probabilities(SIZES) == parse_sampler("proportional").probabilities(SIZES)


def test_large_temperature_approaches_uniform():
    probs = parse_sampler("temperature:1e6").probabilities(SIZES)
    assert all(abs(p - 1 / 3) < 1e-4 for p in probs.values())


def test_small_temperature_does_not_overflow():
    probs = SamplerSpec("temperature", 0.001).probabilities(SIZES)
    assert probs["c"] == pytest.approx(1.0)
    assert TaskSampler(SamplerSpec("temperature", 0.001), SIZES, seed=3).counts(200) == {"a": 0, "b": 0, "c": 200}


def test_capped_is_proportional_to_min_size_cap():
    capped = parse_sampler("capped:1000").probabilities(SIZES)
    assert capped == parse_sampler("proportional").probabilities({"a": 100, "b": 1000, "c": 1000})
    assert capped["b"] == capped["c"]
    # a cap above every size changes nothing
    assert parse_sampler("capped:99999").probabilities(SIZES) == parse_sampler("proportional").probabilities(SIZES)


def test_order_follows_sizes():
    sizes = {"z": 5, "m": 1, "a": 3}
    assert list(parse_sampler("proportional").probabilities(sizes)) == ["z", "m", "a"]
    assert list(TaskSampler(parse_sampler("uniform"), sizes, seed=0).counts(3)) == ["z", "m", "a"]


def test_draws_deterministic_per_seed_and_differ_between_seeds():
    spec = parse_sampler("uniform")
    first = [TaskSampler(spec, SIZES, seed=1).draw(k) for k in range(200)]
    again = [TaskSampler(spec, SIZES, seed=1).draw(k) for k in range(200)]
    other = [TaskSampler(spec, SIZES, seed=2).draw(k) for k in range(200)]
    assert first == again
    assert first != other


def test_resume_draws_same_task_whatever_came_before():
    spec = parse_sampler("temperature:2")
    full = TaskSampler(spec, SIZES, seed=7)
    sequence = [full.draw(k) for k in range(300)]
    resumed = TaskSampler(spec, SIZES, seed=7)  # a fresh sampler, as after a restart at step 150
    assert [resumed.draw(k) for k in range(150, 300)] == sequence[150:]
    # and out of order, or repeated, a step always gives the same task
    assert [full.draw(k) for k in (299, 0, 299, 42)] == [sequence[299], sequence[0], sequence[299], sequence[42]]


def test_to_dict_for_manifests():
    d = TaskSampler(parse_sampler("capped:500"), SIZES, seed=0).to_dict()
    assert d["name"] == "capped"
    assert d["argument"] == 500
    assert d["probabilities"] == pytest.approx(expected("capped:500"))
    assert TaskSampler(parse_sampler("uniform"), SIZES, seed=0).to_dict()["argument"] is None


@pytest.mark.parametrize("text,spec", [
    ("uniform", SamplerSpec("uniform")),
    ("proportional", SamplerSpec("proportional")),
    (" Capped:5000 ", SamplerSpec("capped", 5000)),
    ("temperature:2", SamplerSpec("temperature", 2.0)),
    ("temperature:0.5", SamplerSpec("temperature", 0.5)),
])
def test_parse(text, spec):
    assert parse_sampler(text) == spec


def test_str_round_trips():
    for text in ("uniform", "proportional", "capped:5000", "temperature:2", "temperature:0.5"):
        assert str(parse_sampler(text)) == text


@pytest.mark.parametrize("text,fragment", [
    ("temprature:2", "unknown sampler (did you mean 'temperature'?) (fix: use one of uniform, proportional, capped:N or temperature:T)"),
    ("", "unknown sampler"),
    ("uniform:3", "takes no argument"),
    ("capped", "positive whole number"),
    ("capped:0", "positive whole number"),
    ("capped:-5", "positive whole number"),
    ("capped:1.5", "positive whole number"),
    ("temperature:0", "positive number T"),
    ("temperature:-1", "positive number T"),
    ("temperature:nan", "positive number T"),
    ("temperature:inf", "positive number T"),
    ("temperature:hot", "positive number T"),
])
def test_parse_errors(text, fragment):
    with pytest.raises(UserError) as err:
        parse_sampler(text)
    message = str(err.value)
    assert message.startswith(f"--sampler '{text}':")
    assert fragment in message
    assert "\n" not in message


def test_parse_error_names_its_source():
    with pytest.raises(UserError, match=r"^multitask.sampler 'x':"):
        parse_sampler("x", where="multitask.sampler")


@pytest.mark.parametrize("bad", [0, -3, 2.5, None, True])
def test_bad_sizes_name_the_task(bad):
    with pytest.raises(UserError, match="task 'b' has size"):
        parse_sampler("uniform").probabilities({"a": 10, "b": bad})


def test_no_tasks_and_bad_seed():
    with pytest.raises(UserError, match="no tasks"):
        parse_sampler("uniform").probabilities({})
    with pytest.raises(UserError, match="seed -1"):
        TaskSampler(parse_sampler("uniform"), SIZES, seed=-1)
