"""Choosing an executor by name, and the local executor."""

import subprocess
import sys

import pytest

from executors.job_targets import HERE, runs
from xbench.errors import UserError
from xbench.executors import get_executor
from xbench.executors.local import LocalExecutor
from xbench.jobs import Job


def record_job(folder, name, deps=(), **kw):
    return Job(id=name, target=f"{HERE}:record", args={"folder": str(folder), "name": name}, deps=tuple(deps), **kw)


def test_get_executor_looks_names_up_in_the_registry():
    assert isinstance(get_executor("local"), LocalExecutor)


def test_unknown_executor_is_a_user_error_listing_the_registered_ones():
    with pytest.raises(UserError, match=r"unknown executor 'rey'.*installed: local, ray"):
        get_executor("rey")


def test_an_option_the_executor_does_not_take_is_a_user_error():
    with pytest.raises(UserError, match="the local executor does not take the option.s. address"):
        get_executor("local", address="auto")


def test_listing_executors_does_not_import_ray():
    code = ("import sys; from xbench.registry import get_registry; "
            "names = sorted(get_registry().collect('executors')); "
            "import xbench.executors; print(names, 'ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['local', 'ray'] False"


def test_ray_executor_without_ray_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if not installed
    with pytest.raises(UserError, match=r"^the ray executor needs Ray \(fix: pip install 'xbench\[ray\]'\)$"):
        get_executor("ray")


def test_local_runs_dependencies_first_and_skips_done_jobs(tmp_path):
    jobs = [
        record_job(tmp_path, "d", deps=["b", "c"]),
        record_job(tmp_path, "c", deps=["a", "x"]),
        record_job(tmp_path, "b", deps=["a"]),
        record_job(tmp_path, "a"),
        # done: satisfied without running (its target would fail if it ran)
        Job(id="x", target=f"{HERE}:fail_bug", args={"message": "ran a done job"}, done=True),
    ]
    seen = []
    results = LocalExecutor().run(jobs, on_result=lambda job, value: seen.append((job.id, value)))
    assert set(results) == {"a", "b", "c", "d"}
    assert all(results[name] == name for name in results)
    assert [job_id for job_id, _ in seen] == list(results)  # on_result once per job, as each finished
    assert all(job_id == value for job_id, value in seen)
    start = {name: runs(tmp_path, name)[0][0] for name in "abcd"}
    assert all(len(runs(tmp_path, name)) == 1 for name in "abcd")
    assert start["a"] < start["b"] < start["d"] and start["a"] < start["c"] < start["d"]


def test_local_reraises_the_first_error_and_runs_nothing_after_it(tmp_path):
    jobs = [
        record_job(tmp_path, "a"),
        Job(id="bad", target=f"{HERE}:fail_user", args={"message": "x.yaml: no such language 'zz'"}, deps=("a",)),
        record_job(tmp_path, "child", deps=["bad"]),
    ]
    seen = []
    with pytest.raises(UserError, match=r"^x\.yaml: no such language 'zz'$"):
        LocalExecutor().run(jobs, on_result=lambda job, value: seen.append(job.id))
    assert seen == ["a"]
    assert runs(tmp_path, "child") == []


def test_local_jobs_get_their_declared_cpus_as_threads_and_the_caller_keeps_its_own():
    import torch

    before = torch.get_num_threads()
    jobs = [Job(id=f"cpus{n}", target=f"{HERE}:torch_threads", cpus=n) for n in (1, 2)]
    assert LocalExecutor().run(jobs) == {"cpus1": 1, "cpus2": 2}
    assert torch.get_num_threads() == before
