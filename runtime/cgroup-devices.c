/* linux.resources.devices on cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup (v2 has no
 * devices.allow/deny files).  See cgroup-devices.h. */
#include "runtime/cgroup-devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* Appended after the config's rules (so they win), as crun and runc do:
 * mknod of anything, and the devices every container's /dev has. */
static const struct spec_device_rule default_rules[] = {
        {true, 'c', -1, -1, (char *)"m"},    {true, 'b', -1, -1, (char *)"m"},
        {true, 'c', 1, 3, (char *)"rwm"},    /* null */
        {true, 'c', 1, 5, (char *)"rwm"},    /* zero */
        {true, 'c', 1, 7, (char *)"rwm"},    /* full */
        {true, 'c', 1, 8, (char *)"rwm"},    /* random */
        {true, 'c', 1, 9, (char *)"rwm"},    /* urandom */
        {true, 'c', 5, 0, (char *)"rwm"},    /* tty */
        {true, 'c', 5, 1, (char *)"rwm"},    /* console */
        {true, 'c', 5, 2, (char *)"rwm"},    /* ptmx */
        {true, 'c', 136, -1, (char *)"rwm"}, /* pts/N */
};

/* ---- program generation -------------------------------------------------- */

struct prog {
	struct bpf_insn *insn;
	size_t n, cap;
};

static void emit (struct prog *p, struct bpf_insn i)
{
	if (p->n == p->cap) {
		struct bpf_insn *ni;

		p->cap = p->cap ? p->cap * 2 : 64;
		ni = realloc (p->insn, p->cap * sizeof *ni);
		if (ni == NULL)
			abort ();
		p->insn = ni;
	}
	p->insn[p->n++] = i;
}

static struct bpf_insn insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return i;
}

static unsigned access_bits (const char *access)
{
	unsigned a = 0;

	if (access == NULL || *access == '\0')
		access = "rwm";
	for (; *access; access++)
		a |= *access == 'r'   ? BPF_DEVCG_ACC_READ
		     : *access == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *access == 'm' ? BPF_DEVCG_ACC_MKNOD
		                      : 0;
	return a;
}

#define ALL_ACCESS (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Registers after the prologue: r2 device type, r3 requested access,
 * r4 major, r5 minor.  One block per rule: every check that fails jumps
 * past the block; falling through all of them returns the verdict. */
static bool emit_rule (struct prog *p, const struct spec_device_rule *r)
{
	struct bpf_insn block[8];
	size_t n = 0;
	unsigned acc = access_bits (r->access);

	/* Each jump's offset is patched below, once the block's length is known. */
	if (r->type == 'c' || r->type == 'b')
		block[n++] = insn (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
		                   r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
	if (acc != ALL_ACCESS) {
		/* requested & ~allowed must be 0 */
		block[n++] = insn (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		block[n++] = insn (BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)~acc);
		block[n++] = insn (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 0, 0);
	}
	if (r->major >= 0)
		block[n++] = insn (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)r->major);
	if (r->minor >= 0)
		block[n++] = insn (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)r->minor);
	block[n++] = insn (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
	block[n++] = insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < n; i++) {
		if (BPF_CLASS (block[i].code) == BPF_JMP && BPF_OP (block[i].code) == BPF_JNE)
			block[i].off = (int16_t)(n - i - 1);
		emit (p, block[i]);
	}
	/* A rule that matches everything ends the program: the verifier
	 * refuses unreachable instructions after it. */
	return n == 2;
}

/* The rules are applied in order, the last match winning (as writes to
 * v1's devices.allow/deny): emitted in reverse, the first match returns. */
static void build_program (struct prog *p, const struct spec_device_rule *rules, size_t n)
{
	/* r1 = ctx; r2 = type; r3 = access; r4 = major; r5 = minor */
	emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
	emit (p, insn (BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
	emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0));
	emit (p, insn (BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
	emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
	emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
	for (size_t i = ARRAY_SIZE (default_rules); i > 0; i--)
		if (emit_rule (p, &default_rules[i - 1]))
			return;
	for (size_t i = n; i > 0; i--)
		if (emit_rule (p, &rules[i - 1]))
			return;
	/* Nothing matched: deny. */
	emit (p, insn (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
	emit (p, insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* ---- load, attach, replace ----------------------------------------------- */

static long bpf (int cmd, union bpf_attr *attr)
{
	return syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int load_program (const struct prog *p, struct keel_error **err)
{
	union bpf_attr attr;
	cleanup_free char *log = NULL;
	int fd, saved;

	memset (&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = (int)bpf (BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	saved = errno;
	if (saved != EINVAL && saved != EACCES)
		return keel_error (err, saved, "cgroup: load the device filter program");
	/* Rejected by the verifier: load again with its log to say why. */
	log = xmalloc0 (1 << 16);
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = 1 << 16;
	attr.log_level = 1;
	fd = (int)bpf (BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		close (fd);
		return keel_error (err, saved, "cgroup: load the device filter program");
	}
	/* The verifier's last complete line says why. */
	while (*log && log[strlen (log) - 1] == '\n')
		log[strlen (log) - 1] = '\0';
	return keel_error (err, saved, "cgroup: load the device filter program: %s",
	                   strrchr (log, '\n') ? strrchr (log, '\n') + 1 : log);
}

/* The ids of the device programs attached to the cgroup now. */
static int query_attached (int cgfd, uint32_t *ids, uint32_t *n, struct keel_error **err)
{
	union bpf_attr attr;

	memset (&attr, 0, sizeof attr);
	attr.query.target_fd = (uint32_t)cgfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = *n;
	if (bpf (BPF_PROG_QUERY, &attr) < 0)
		return keel_error (err, errno, "cgroup: query the attached device programs");
	*n = attr.query.prog_cnt;
	return 0;
}

static int detach_id (int cgfd, uint32_t id, struct keel_error **err)
{
	cleanup_close int fd = -1;
	union bpf_attr attr;

	memset (&attr, 0, sizeof attr);
	attr.prog_id = id;
	fd = (int)bpf (BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return errno == ENOENT
		               ? 0
		               : keel_error (err, errno, "cgroup: get device program %u", id);
	memset (&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
		return keel_error (err, errno, "cgroup: detach device program %u", id);
	return 0;
}

int cgroup_devices_apply (const char *abs_path, const struct spec_device_rule *rules, size_t n,
                          struct keel_error **err)
{
	cleanup_close int cgfd = open (abs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (cgfd < 0)
		return keel_error (err, errno, "cgroup: open `%s`", abs_path);
	return cgroup_devices_apply_at (cgfd, abs_path, false, rules, n, err);
}

int cgroup_devices_apply_at (int cgfd, const char *abs_path, bool fresh,
                             const struct spec_device_rule *rules, size_t n,
                             struct keel_error **err)
{
	cleanup_close int progfd = -1;
	struct prog p = {NULL, 0, 0};
	uint32_t old[64], n_old = ARRAY_SIZE (old);
	union bpf_attr attr;
	int ret;

	for (size_t i = 0; i < n; i++)
		if (rules[i].type != 'a' && rules[i].type != 'c' && rules[i].type != 'b')
			return keel_error (err, 0,
			                   "cgroup: linux.resources.devices[%zu]: type '%c'", i,
			                   rules[i].type);
	if (fresh)
		n_old = 0;
	else if ((ret = query_attached (cgfd, old, &n_old, err)) < 0)
		return ret;
	build_program (&p, rules, n);
	progfd = load_program (&p, err);
	free (p.insn);
	if (progfd < 0)
		return progfd;
	/* Attach the new program before detaching the old ones, so there is no
	 * moment without a filter (BPF_F_ALLOW_MULTI lets both be there). */
	memset (&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf (BPF_PROG_ATTACH, &attr) < 0)
		return keel_error (err, errno, "cgroup: attach the device filter to `%s`",
		                   abs_path);
	for (uint32_t i = 0; i < n_old; i++) {
		ret = detach_id (cgfd, old[i], err);
		if (ret < 0)
			return ret;
	}
	keel_debug ("cgroup: device filter of %zu rules (+%zu default) on %s", n,
	            ARRAY_SIZE (default_rules), abs_path);
	return 0;
}
