#!/usr/bin/env python3
"""sig-ignore.py SIG[,SIG...] PROG ARGS...: exec PROG with those signals
ignored, set with the raw rt_sigaction system call, which also reaches the
signals libc keeps for itself (32-34) and refuses in its sigaction."""
import ctypes
import os
import sys


class KernelSigaction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_ulong), ("flags", ctypes.c_ulong),
                ("restorer", ctypes.c_ulong), ("mask", ctypes.c_ulong)]


libc = ctypes.CDLL(None, use_errno=True)
ign = KernelSigaction(1, 0, 0, 0)  # SIG_IGN
for sig in sys.argv[1].split(","):
    if libc.syscall(13, int(sig), ctypes.byref(ign), None, 8) != 0:  # x86_64
        sys.exit("rt_sigaction %s: %s" % (sig, os.strerror(ctypes.get_errno())))
os.execvp(sys.argv[2], sys.argv[2:])
