#!/usr/bin/python3
"""The other end of --console-socket, as a client like containerd's shim is.

usage: console-recv.py SOCKET OUTFILE

Listens on the unix socket SOCKET, accepts one connection, takes the pty
master the runtime sends there with SCM_RIGHTS (runc's protocol), writes the
payload it came with to OUTFILE.name, then copies everything the container
writes to its terminal into OUTFILE until the last slave is closed (EIO).
"""
import os
import socket
import sys


def main():
    path, outfile = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(30)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 4096, 4)
    conn.close()
    srv.close()
    if len(fds) != 1:
        sys.exit("console-recv: expected one fd, got %d" % len(fds))
    with open(outfile + ".name", "wb") as f:
        f.write(msg)
    with open(outfile, "wb") as out:
        while True:
            try:
                data = os.read(fds[0], 4096)
            except OSError:  # EIO: every slave fd is closed
                break
            if not data:
                break
            out.write(data)
            out.flush()


main()
