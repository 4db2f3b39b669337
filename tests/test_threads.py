"""backprop.threads: the BLAS thread count of the ``backprop`` command. The decisions are pure functions of the
environment, /proc/stat's ticks and the process's CPU time (tested here on made-up figures, no timing); what
changes the threads of the process runs in subprocesses (it changes the BLAS of the whole process)."""
import os
import subprocess
import sys
import textwrap

import pytest

from backprop import threads

pytest.importorskip("threadpoolctl")


@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"OPENBLAS_NUM_THREADS": "3"}, 3),
    ({"OMP_NUM_THREADS": "2"}, 2),
    ({"MKL_NUM_THREADS": "4"}, 4),
    ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "8"}, 1),   # OpenBLAS's own variable first, as OpenBLAS
    ({"OPENBLAS_NUM_THREADS": " 2 "}, 2),
    ({"OPENBLAS_NUM_THREADS": ""}, None),                          # empty, 0 or not a number: not a choice
    ({"OPENBLAS_NUM_THREADS": "0"}, None),
    ({"OPENBLAS_NUM_THREADS": "-1"}, None),
    ({"OPENBLAS_NUM_THREADS": "two"}, None),
    ({"OPENBLAS_NUM_THREADS": "", "OMP_NUM_THREADS": "1"}, 1),
    ({"OPENBLAS_THREAD_TIMEOUT": "4"}, None),
])
def test_a_thread_count_in_the_environment_is_the_users_choice(environ, expected):
    assert threads.explicit_threads(environ) == expected


STAT = textwrap.dedent("""\
    cpu  700 20 300 5000 100 10 5 40 0 0
    cpu0 100 10 100 2000 50 5 0 20 0 0
    cpu1 500 0 150 1000 30 5 5 20 0 0
    cpu2 100 10 50 2000 20 0 0 0 0 0
    intr 123456 1 2 3
    ctxt 987654
    btime 1700000000
""")


def test_cpu_ticks_add_up_the_allowed_cores_only():
    # cpu0: busy 100+10+100+5+0+20 = 235 of 2285; cpu1: 500+0+150+5+5+20 = 680 of 1710 (the "cpu" line and
    # cpu2 are not counted)
    assert threads.cpu_ticks(STAT, {0, 1}) == (235 + 680, 2285 + 1710)
    assert threads.cpu_ticks(STAT, {2}) == (160, 2180)
    assert threads.cpu_ticks(STAT, {7}) == (0, 0)


def test_cpu_ticks_of_an_old_kernel_with_four_fields():
    assert threads.cpu_ticks("cpu 1 2 3 4\ncpu0 10 0 5 85\n", {0}) == (15, 100)


def test_cpu_ticks_read_this_machines_proc_stat():
    if not os.path.exists("/proc/stat"):
        pytest.skip("no /proc/stat")
    with open("/proc/stat") as file:
        busy, total = threads.cpu_ticks(file.read(), os.sched_getaffinity(0))
    assert 0 <= busy <= total and total > 0


@pytest.mark.parametrize("busy, total, cores, own, wall, expected", [
    (200, 200, 2, 1.5, 1.0, 0.5),      # both cores busy, 1.5 of them ours
    (100, 200, 2, 1.0, 1.0, 0.0),      # a quiet machine: all the busy time is ours
    (104, 200, 2, 1.0, 1.0, 0.04),
    (100, 200, 2, 1.02, 1.0, 0.0),     # the ticks' granularity: never below 0
    (300, 400, 4, 0.5, 0.5, 2.0),      # 3 of 4 cores busy, 1 of them ours
    (0, 0, 2, 0.0, 1.0, 0.0),          # no ticks yet
    (10, 20, 2, 0.0, 0.0, 0.0),
])
def test_others_cores_is_the_busy_share_less_our_own_cpu_time(busy, total, cores, own, wall, expected):
    assert threads.others_cores(busy, total, cores, own, wall) == pytest.approx(expected)


@pytest.mark.parametrize("cores, others, expected", [
    (2, 0.0, 2),      # quiet: every core
    (2, 0.2, 2),      # background noise
    (2, 0.5, 1),      # a spinning process that shares a core with one of our threads
    (2, 1.0, 1),      # ... that has a core to itself
    (2, 1.3, 1),
    (2, 2.5, 1),      # never below one thread
    (1, 0.9, 1),
    (8, 2.2, 6),
    (8, 2.5, 5),
    (16, 0.0, 16),
])
def test_threads_are_the_cores_the_others_leave(cores, others, expected):
    assert threads.threads_for(cores, others) == expected


def test_never_more_threads_than_cores_nor_fewer_than_one():
    for cores in range(1, 9):
        for tenths in range(0, 100):
            assert 1 <= threads.threads_for(cores, tenths / 10) <= cores


def test_an_environment_that_fixes_the_threads_is_left_alone():
    before = threads.follower()
    assert "fixed by the environment (1)" in threads.configure(environ={"OPENBLAS_NUM_THREADS": "1"})
    assert threads.follower() is before   # no follower started


def _python(code, **env):
    environ = {name: value for name, value in os.environ.items() if name not in threads.THREAD_VARIABLES}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, env={**environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


BLAS_THREADS = "[pool['num_threads'] for pool in threadpoolctl.threadpool_info() if pool['user_api'] == 'blas']"


def test_threads_option_is_never_more_than_the_allowed_cores():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no affinity masks here")
    out = _python(f"""
        import os, threadpoolctl
        os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})   # as `taskset -c N`
        from backprop import threads
        print(threads.configure(threads=4).replace(" ", "_"), *{BLAS_THREADS})
    """)
    assert out[0] == "1_BLAS_thread_(--threads)" and set(out[1:]) == {"1"}


def test_the_follower_sets_the_threads_on_the_main_thread():
    if threads.allowed_cores() < 2 or threads.SIGNAL is None or not os.path.exists("/proc/stat"):
        pytest.skip("nothing to follow on one core or without /proc/stat")
    # the follower's decision is handed over as a simulated signal; its handler runs on the main thread
    out = _python(f"""
        import _thread, threadpoolctl
        import numpy
        from backprop import threads
        print(threads.configure().replace(" ", "_"))
        follower = threads.follower()
        follower.stop()
        follower.join()
        for wanted in (1, 2, 1):
            follower.wanted = wanted
            _thread.interrupt_main(threads.SIGNAL)
            for _ in range(1000):
                pass
            print(follower.applied, *{BLAS_THREADS})
    """)
    assert out[0].startswith("BLAS_threads_follow_the_load")
    assert out[1:] == ["1", "1", "2", "2", "1", "1"]


BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")


@pytest.mark.parametrize("command", [["train"], ["rl", "train"], ["reproduce"]])
def test_the_threads_option_takes_a_positive_integer(command):
    done = subprocess.run([BACKPROP, *command, "--threads", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "--threads" in done.stderr, done.stderr
