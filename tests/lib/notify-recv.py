#!/usr/bin/python3
"""The host's end of NOTIFY_SOCKET, as systemd or podman holds it.

usage: notify-recv.py SOCKET OUTFILE [SECONDS]

Binds the unix datagram socket SOCKET and appends every datagram it gets to
OUTFILE, one per line as "pid=PID: PAYLOAD" (the sender's pid from
SO_PASSCRED, 0 when unknown, as the receiver sees it).  Creates OUTFILE.ready
once bound; exits after SECONDS (default 30) or when killed.
"""
import os
import socket
import struct
import sys
import time


def main():
    path, outfile = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 30)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    open(outfile + ".ready", "w").close()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            break
        pid = 0
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        with open(outfile, "a") as f:
            f.write("pid=%d: %s\n" % (pid, msg.decode(errors="replace").rstrip("\n")))
    s.close()
    os.unlink(path)


if __name__ == "__main__":
    main()
