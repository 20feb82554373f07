#!/usr/bin/python3
"""The other end of linux.seccomp.listenerPath, as a seccomp agent is.

usage: seccomp-listener.py SOCKET OUTFILE ERRNO

Listens on the unix socket SOCKET, accepts one connection and takes the
seccomp notify fd the runtime sends with SCM_RIGHTS together with the
runtime-spec "containerProcessState" JSON, which it writes to OUTFILE.  Then
it answers every notification until the container is gone: with ERRNO 0 the
syscall "succeeds" without being made, otherwise it fails with ERRNO.  Each
answered syscall number is appended to OUTFILE.log.
"""
import fcntl
import os
import select
import socket
import struct
import sys

# <linux/seccomp.h>: _IOWR('!', 0, struct seccomp_notif) (80 bytes) and
# _IOWR('!', 1, struct seccomp_notif_resp) (24 bytes).
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101


def serve(fd, answer, log):
    while True:
        r, _, _ = select.select([fd], [], [], 60)
        if not r:
            sys.exit("seccomp-listener: no notification for 60 s")
        buf = bytearray(80)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, buf)
        except OSError:
            # ENOENT: the container is gone (the fd reports hang-up).
            return
        nid, _pid, _flags, nr = struct.unpack_from("=QIIi", buf)
        resp = struct.pack("=Qqii", nid, 0, -answer, 0)
        try:
            fcntl.ioctl(fd, NOTIF_SEND, bytearray(resp))
        except OSError:
            pass  # the caller was killed meanwhile
        log.write("%d\n" % nr)
        log.flush()


def main():
    path, outfile, answer = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    conn.close()
    srv.close()
    with open(outfile, "wb") as f:
        f.write(msg)
    if len(fds) != 1:
        sys.exit("seccomp-listener: expected one fd, got %d" % len(fds))
    with open(outfile + ".log", "w") as log:
        serve(fds[0], answer, log)


main()
