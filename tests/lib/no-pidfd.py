#!/usr/bin/python3
"""usage: no-pidfd.py PROGRAM [ARGS...]

Runs PROGRAM with pidfd_open(2) failing with ENOSYS, as on kernels before
5.3, through a seccomp filter (which also sets no_new_privs): the way to
reach code paths for older kernels on a new one.  x86-64 and aarch64.
"""
import ctypes
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
NR_PIDFD_OPEN = 434  # the same number on every architecture
ENOSYS = 38


def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def main():
    arch = AUDIT_ARCH.get(platform.machine())
    if arch is None:
        sys.exit("no-pidfd.py: unsupported architecture " + platform.machine())
    ld_w_abs, jeq_k, ret_k = 0x20, 0x15, 0x06
    prog = b"".join([
        insn(ld_w_abs, 0, 0, 4),  # seccomp_data.arch
        insn(jeq_k, 1, 0, arch),
        insn(ret_k, 0, 0, SECCOMP_RET_ALLOW),
        insn(ld_w_abs, 0, 0, 0),  # seccomp_data.nr
        insn(jeq_k, 0, 1, NR_PIDFD_OPEN),
        insn(ret_k, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
        insn(ret_k, 0, 0, SECCOMP_RET_ALLOW),
    ])
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HxxxxxxP", len(prog) // 8, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf), 0, 0) != 0:
        sys.exit("no-pidfd.py: prctl: " + os.strerror(ctypes.get_errno()))
    os.execvp(sys.argv[1], sys.argv[1:])


main()
