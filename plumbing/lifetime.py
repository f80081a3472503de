"""Child processes that die with their parent, even when the parent is SIGKILLed.

A process killed by SIGKILL (or the kernel's OOM killer) runs no clean-up, so its
children live on unless the kernel is asked beforehand to signal them:
``prctl(PR_SET_PDEATHSIG)`` on Linux. Call :func:`die_with_parent` first thing in a
child (a worker's main function, or ``preexec_fn`` of a subprocess). Elsewhere it does
nothing and says so (False): the caller's other clean-up still applies.

Caveat (from prctl(2)): the "parent" is the *thread* that forked the child; a child
forked from a short-lived thread is signalled when that thread ends. Fork workers from
the main thread, or from a process that does nothing else (a forkserver).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1
# Loaded once here, not in the child: a ``preexec_fn`` runs between fork and exec, where
# loading a library could wait forever on a lock another thread held at fork time.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies.

    Returns False where that is not available (not Linux). If the parent is already
    gone (it died between our fork and this call), this process exits at once.
    """
    if _LIBC is None:
        return False
    parent = os.getppid()
    if _LIBC.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # reparented already: the signal will never come
        os._exit(1)
    return True
