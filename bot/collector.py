"""Python's cyclic garbage collector held off while a knowledge base is read, checked and indexed.

Building makes millions of objects that all stay alive. The collector runs whenever allocations outnumber
deallocations by a few hundred, and each full pass walks every live object while holding the GIL, so:
- at start-up it kept walking a heap that only grows: at 10,000 entries checking took 1.8 s instead of 1.4 s, and
  indexing 6.0 s instead of 3.8 s;
- during a reload (in a worker thread) each full pass stopped every user's answer for 150-300 ms at the size
  limits (benchmarks/knowledge_reload.py).
Building makes little cyclic garbage, so collecting can wait the few seconds it takes; reference counting frees
everything else as usual.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0  # builds in progress (a reload in a worker thread may overlap another)
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside; the collector is as it was before once the last overlapping build ends."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
