#!/bin/sh
# One QEMU scenario: boots containers.d/ beside this file under $KEEL and
# checks ./expect (tests-qemu/README.md describes the format).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../keel-qemu-test" "$here"
