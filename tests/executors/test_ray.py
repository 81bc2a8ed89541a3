"""The ray executor on a local 2-CPU Ray instance, started once for this module and shut down after."""

import os
import time

import pytest
import ray

from executors.job_targets import HERE, runs
from xbench.errors import UserError
from xbench.executors import get_executor
from xbench.jobs import Job


def record_job(folder, name, deps=(), seconds=0.0, **kw):
    return Job(id=name, target=f"{HERE}:record", deps=tuple(deps), **kw,
               args={"folder": str(folder), "name": name, "seconds": seconds})


def test_an_unreachable_cluster_is_a_user_error(monkeypatch, tmp_path):
    from ray._private.services import find_gcs_addresses  # private API: only to skip when Ray runs here

    if ray.is_initialized() or find_gcs_addresses():
        pytest.skip("a Ray instance is running on this machine: 'auto' would join it")
    # "auto" looks for the address the last `ray start --head` left in Ray's temp folder (a stale
    # one hangs ray.init for minutes) or for a running instance; here there is neither
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(UserError, match=r"cannot reach a Ray cluster at address 'auto'.*ray start --head"):
        get_executor("ray", address="auto").run([Job(id="a", target="os:getcwd")])
    assert not ray.is_initialized()


def test_a_plan_with_every_job_done_does_not_start_ray():
    done = [Job(id="a", target="os:getcwd", done=True)]
    assert get_executor("ray", address="no-such-host:1").run(done) == {}
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    environ = dict(os.environ)
    ray.init(address="local", num_cpus=2, include_dashboard=False)  # "local": never join a `ray start` cluster
    yield tmp_path_factory.mktemp("ray_xbench_home")
    ray.shutdown()
    # ray.init sets variables in this process (e.g. RAY_AUTH_MODE); later tests should not see them
    os.environ.clear()
    os.environ.update(environ)


@pytest.fixture
def executor(local_ray, monkeypatch):
    # One XBENCH_HOME for the module: tasks with the same environment reuse Ray's workers, while a
    # new environment costs new worker processes (~1 s each, plus importing torch in them).
    monkeypatch.setenv("XBENCH_HOME", str(local_ray))
    return get_executor("ray")


def test_dag_runs_each_job_once_after_its_dependencies(executor, tmp_path):
    jobs = [
        record_job(tmp_path, "a", seconds=0.2),
        record_job(tmp_path, "b", deps=["a"], seconds=0.2),
        record_job(tmp_path, "c", deps=["a", "x"], seconds=0.2),
        record_job(tmp_path, "d", deps=["b", "c"]),
        record_job(tmp_path, "e"),  # independent
        # done: satisfied without running (its target would fail if it ran)
        Job(id="x", target=f"{HERE}:fail_bug", args={"message": "ran a done job"}, done=True),
    ]
    seen = []
    results = executor.run(jobs, on_result=lambda job, value: seen.append((job.id, value, os.getpid())))
    assert results == {name: name for name in "abcde"}
    assert sorted(job_id for job_id, _, _ in seen) == list("abcde")  # on_result once per finished job
    assert all(job_id == value and pid == os.getpid() for job_id, value, pid in seen)  # in the driver
    times = {}
    for name in "abcde":
        (times[name],) = runs(tmp_path, name)  # exactly one run each
        assert times[name][2] != os.getpid()  # in a Ray worker, not here
    start, end = {n: t[0] for n, t in times.items()}, {n: t[1] for n, t in times.items()}
    assert end["a"] <= start["b"] and end["a"] <= start["c"]
    assert end["b"] <= start["d"] and end["c"] <= start["d"]


def test_user_error_in_a_worker_comes_back_as_itself_and_dependents_do_not_run(executor, tmp_path):
    message = "tasks/x.yaml: field 'languages': no data for 'zz' (fix: drop it)"
    jobs = [
        Job(id="bad", target=f"{HERE}:fail_user", args={"message": message}),
        record_job(tmp_path, "child", deps=["bad"]),
        record_job(tmp_path, "grandchild", deps=["child"]),
    ]
    with pytest.raises(UserError) as info:
        executor.run(jobs)
    assert type(info.value) is UserError  # not Ray's wrapper, whose text is a traceback
    assert str(info.value) == message
    assert runs(tmp_path, "child") == [] and runs(tmp_path, "grandchild") == []


def test_other_errors_keep_their_type_and_the_worker_traceback(executor):
    with pytest.raises(ValueError, match="a bug in a job") as info:
        executor.run([Job(id="bug", target=f"{HERE}:fail_bug", args={"message": "a bug in a job"})])
    assert isinstance(info.value, ray.exceptions.RayTaskError)
    assert "job_targets.py" in str(info.value)


def test_a_failure_cancels_the_jobs_still_running(executor, tmp_path):
    jobs = [
        record_job(tmp_path, "slow", seconds=2),
        # fails once "slow" is running
        Job(id="bad", target=f"{HERE}:fail_user", args={"message": "stop", "after": str(tmp_path / "slow.started")}),
    ]
    began = time.time()
    with pytest.raises(UserError, match="^stop$"):
        executor.run(jobs)
    assert (tmp_path / "slow.started").exists()
    time.sleep(max(0.0, began + 3 - time.time()))  # left alone, "slow" would have recorded its run by now
    assert runs(tmp_path, "slow") == []  # interrupted


def test_xbench_and_hf_variables_reach_the_workers(executor, monkeypatch):
    monkeypatch.setenv("XBENCH_EXECUTOR_TEST", "value 123")
    monkeypatch.setenv("HF_HOME", "/nonexistent/hf-home")
    monkeypatch.setenv("UNRELATED_EXECUTOR_TEST", "not forwarded")
    names = ["XBENCH_EXECUTOR_TEST", "XBENCH_HOME", "HF_HOME", "HF_HUB_OFFLINE", "UNRELATED_EXECUTOR_TEST"]
    seen = executor.run([Job(id="env", target=f"{HERE}:environ", args={"names": names})])["env"]
    assert seen == {"XBENCH_EXECUTOR_TEST": "value 123", "XBENCH_HOME": os.environ["XBENCH_HOME"],
                    "HF_HOME": "/nonexistent/hf-home", "HF_HUB_OFFLINE": "1", "UNRELATED_EXECUTOR_TEST": None}


def test_torch_threads_follow_the_declared_cpus(executor):
    jobs = [Job(id=f"cpus{n}", target=f"{HERE}:torch_threads", cpus=n) for n in (1, 2)]
    assert executor.run(jobs) == {"cpus1": 1, "cpus2": 2}


def test_a_job_no_node_can_hold_is_refused_before_anything_runs(executor, tmp_path):
    jobs = [record_job(tmp_path, "a"), record_job(tmp_path, "big", deps=["a"], cpus=3, label="train panx")]
    with pytest.raises(UserError, match=r"job big \(train panx\) needs 3 CPUs \+ 0 GPUs.*nodes: 2 CPUs \+ 0 GPUs"):
        executor.run(jobs)
    assert runs(tmp_path, "a") == []
