# shellcheck shell=sh
# What each fuzz target starts from; sourced by tests/fuzz/run.sh and
# tests/integration/fuzz-smoke.sh.  NAME is a target without its fuzz_
# prefix; paths are relative to the top of the tree.

# The seed directories: tests/fuzz/corpus/NAME/ (text inputs, regression
# inputs included) and, for the spec target, the configs the unit tests use.
fuzz_seeds() {
	[ ! -d "tests/fuzz/corpus/$1" ] || echo "tests/fuzz/corpus/$1"
	[ "$1" != spec ] && [ "$1" != jsonpath ] || echo tests/spec-valid tests/spec-invalid
}

# The libFuzzer dictionary flag, when the target has a dictionary
# (jsonpath parses config.json too: the spec's keys).
fuzz_dict() {
	dict_of=$1
	[ "$dict_of" != jsonpath ] || dict_of=spec
	[ ! -f "tests/fuzz/$dict_of.dict" ] || echo "-dict=tests/fuzz/$dict_of.dict"
}

# The longest input worth trying: a little beyond each parser's own limit
# (keel.json, tmpfiles.conf: 64 KiB are accepted, but the structure is
# what matters; a control request is at most 4096 bytes).
fuzz_max_len() {
	case $1 in
	spec | jsonpath) echo 16384 ;;
	policy | tmpfiles | state) echo 8192 ;;
	fstab) echo 8192 ;; # several lines of up to 4096 bytes
	control) echo 5000 ;;
	logsink) echo 8192 ;;
	*) echo 4096 ;;
	esac
}
