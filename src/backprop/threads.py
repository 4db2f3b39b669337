"""How many BLAS threads the ``backprop`` command uses: all the free cores, and no more.

NumPy's OpenBLAS starts one thread per core and splits every large matrix product between them; each product
ends when its slowest thread is done. When another process keeps one of the cores busy, the thread that shares
that core gets a slice of it now and then, and every product waits for it: on two cores, ``backprop train
--epochs 2`` went from 4.3 s to 23.4 s, against 4.9 s on one thread (benchmarks/threads.py measures it).

So the command (``configure()`` at its start) follows the load: a daemon thread reads once a second how much
of the allowed cores other processes used (``/proc/stat`` less this process's own CPU time) and the BLAS
threads are set to the cores left, at least one, on the main thread between two NumPy calls. A quiet machine
keeps every core; a loaded one drops the threads that would only wait. An explicit choice wins and is never
changed: ``--threads N`` or OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS in the environment
(``make test`` sets them to 1).

The thread counts are decided by the pure functions ``explicit_threads``, ``cpu_ticks``, ``others_cores`` and
``threads_for``; ``configure`` applies them through threadpoolctl (``backprop[train]``; without it the BLAS keeps
its own default).
"""
import _thread
import math
import os
import signal
import threading
import time

__all__ = ["configure", "allowed_cores", "explicit_threads", "cpu_ticks", "others_cores", "threads_for"]

# the variables by which a user fixes the threads of NumPy's BLAS (OpenBLAS, an OpenMP build, MKL)
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# others must use this share of a core before it counts as theirs: a process that spins on one core gets
# about half of it while one of our threads competes for it, and background noise stays far below
TAKEN = 0.35

# the signal whose handler sets the threads on the main thread; the follower only simulates it, and a real
# SIGALRM (nothing in the backprop command uses alarms) would only make the handler look again
SIGNAL = getattr(signal, "SIGALRM", None)  # None on Windows: no following there

INTERVAL = 1.0        # seconds between two looks at the load
FIRST_LOOK = 0.25     # the first look: early, before the training's first products


def allowed_cores():
    """The cores this process may run on (its affinity mask; taskset and cpusets restrict it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity masks (macOS, Windows)
        return os.cpu_count() or 1


def explicit_threads(environ):
    """The thread count the user fixed in ``environ`` (the first of THREAD_VARIABLES that holds a positive
    integer), or None. A value that is not a positive integer does not count (OpenBLAS ignores it too)."""
    for name in THREAD_VARIABLES:
        text = environ.get(name, "").strip()
        if text.isdigit() and int(text) > 0:
            return int(text)
    return None


def cpu_ticks(stat_text, cpus):
    """(busy, total) clock ticks of the cores ``cpus`` (numbers) from the text of /proc/stat. Busy is all but
    idle and iowait; steal counts as busy (another virtual machine held the core)."""
    busy = total = 0
    for line in stat_text.splitlines():
        name, _, rest = line.partition(" ")
        if not (name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus):
            continue
        fields = [int(value) for value in rest.split()[:8]]  # user nice system idle iowait irq softirq steal
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        total += sum(fields)
        busy += sum(fields) - idle
    return busy, total


def others_cores(busy_ticks, total_ticks, cores, own_cpu_seconds, wall_seconds):
    """How many cores other processes kept busy in an interval: the busy share of the ``cores`` (from the
    ticks' differences) less this process's own CPU time over the wall time, never below 0."""
    if total_ticks <= 0 or wall_seconds <= 0:
        return 0.0
    busy_cores = cores * busy_ticks / total_ticks
    return max(0.0, busy_cores - own_cpu_seconds / wall_seconds)


def threads_for(cores, others):
    """BLAS threads for ``cores`` allowed cores when other processes keep ``others`` cores busy: the cores they
    leave, where a core counts as theirs from a share of TAKEN up (others = 1.3 takes 1 core, 1.4 takes 2); at
    least 1."""
    taken = math.floor(others + 1 - TAKEN)
    return max(1, min(cores, cores - taken))


def _threadpoolctl():
    """threadpoolctl, or None on a plain install (the BLAS then keeps its own default)."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def _set_blas_threads(threadpoolctl, n):
    threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def _read_stat():
    with open("/proc/stat") as file:
        return file.read()


class _Follower(threading.Thread):
    """The daemon thread that looks at the load once a second and decides the BLAS threads.

    It only decides: OpenBLAS's openblas_set_num_threads changes the thread pool's shared state (recent versions
    allocate and free the threads' buffers there), which is not safe while the main thread is inside a product.
    So a new count is handed to the main thread as a simulated signal (``_thread.interrupt_main``, no signal of
    the operating system): Python runs the handler on the main thread between two bytecodes, never inside a
    NumPy call."""

    def __init__(self, threadpoolctl, cpus, interval=INTERVAL, first=FIRST_LOOK):
        super().__init__(name="backprop-threads", daemon=True)
        self.threadpoolctl = threadpoolctl   # imported beforehand: no import inside the handler
        self.cpus, self.interval, self.first = set(cpus), interval, first
        self.wanted = self.applied = None
        self.choices = []      # (seconds since start, others' cores, threads): what benchmarks/threads.py prints
        self._stopped = threading.Event()

    def run(self):
        start = time.perf_counter()
        try:
            busy, total = cpu_ticks(_read_stat(), self.cpus)
        except (OSError, ValueError):
            return
        own, wall = time.process_time(), time.perf_counter()
        wait = self.first
        while not self._stopped.wait(wait):
            wait = self.interval
            try:
                busy2, total2 = cpu_ticks(_read_stat(), self.cpus)
            except (OSError, ValueError):
                return
            own2, wall2 = time.process_time(), time.perf_counter()
            others = others_cores(busy2 - busy, total2 - total, len(self.cpus), own2 - own, wall2 - wall)
            busy, total, own, wall = busy2, total2, own2, wall2
            threads = threads_for(len(self.cpus), others)
            self.choices.append((round(wall - start, 2), round(others, 2), threads))
            if threads != self.wanted:
                self.wanted = threads
                _thread.interrupt_main(SIGNAL)

    def apply(self, signum=None, frame=None):
        """On the main thread (the signal handler): set the BLAS threads to the last count decided."""
        wanted = self.wanted
        if wanted is not None and wanted != self.applied:
            try:
                _set_blas_threads(self.threadpoolctl, wanted)
            except Exception:  # noqa: BLE001  (a handler must not raise into whatever the main thread was doing)
                self.stop()
            self.applied = wanted

    def stop(self):
        self._stopped.set()


_follower = [None]


def follower():
    """The thread that follows the load in this process (None before ``configure()`` started one)."""
    return _follower[0]


def configure(threads=None, environ=None):
    """Choose the BLAS threads of this process, once at the command's start, on the main thread.

    ``threads``: a positive int fixes them (no more than the allowed cores); None follows the load, unless
    the environment fixes them (THREAD_VARIABLES), which is then left alone. Returns the policy in words;
    RuntimeError when ``threads`` is given and threadpoolctl is not installed."""
    environ = os.environ if environ is None else environ
    cores = allowed_cores()
    threadpoolctl = _threadpoolctl()
    if threads is not None:
        threads = min(threads, cores)
        if threadpoolctl is None:
            raise RuntimeError("--threads needs threadpoolctl, which is not installed: pip install threadpoolctl "
                               "(it comes with 'backprop[train]')")
        _set_blas_threads(threadpoolctl, threads)
        return f"{threads} BLAS thread{'s' if threads > 1 else ''} (--threads)"
    fixed = explicit_threads(environ)
    if fixed is not None:
        return f"BLAS threads fixed by the environment ({fixed})"
    if (threadpoolctl is None or cores == 1 or SIGNAL is None or not os.path.exists("/proc/stat")
            or threading.current_thread() is not threading.main_thread()):
        return "the BLAS's default threads"
    if _follower[0] is None:
        try:
            cpus = os.sched_getaffinity(0)
        except (AttributeError, OSError):
            cpus = range(cores)
        _follower[0] = _Follower(threadpoolctl, cpus)
        signal.signal(SIGNAL, _follower[0].apply)
        _follower[0].start()
    return f"BLAS threads follow the load (up to {cores})"
