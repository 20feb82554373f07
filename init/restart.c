/* Restart and backoff decisions (see restart.h); no clock, no I/O. */
#include "init/restart.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void restart_init (struct restart_state *s, const struct policy *p)
{
	memset (s, 0, sizeof (*s));
	s->cap = p->start_limit_burst ? p->start_limit_burst : 1;
	s->starts = xmalloc0 (s->cap * sizeof (uint64_t));
}

void restart_free (struct restart_state *s)
{
	free (s->starts);
	s->starts = NULL;
}

void restart_reset (struct restart_state *s)
{
	s->head = s->count = s->failures = 0;
}

void restart_record_start (struct restart_state *s, uint64_t now_ms)
{
	/* On the limit's clock: where its running time stood at this start. */
	s->starts[s->head] = s->run_ms;
	s->head = (s->head + 1) % s->cap;
	if (s->count < s->cap)
		s->count++;
	s->last_start_ms = now_ms;
}

/* Starts recorded within (at - interval, at]. */
static unsigned starts_within (const struct restart_state *s, uint64_t interval, uint64_t at)
{
	unsigned i, n = 0;

	for (i = 0; i < s->count; i++) {
		uint64_t t = s->starts[(s->head + s->cap - 1 - i) % s->cap];
		if (t <= at && at - t < interval)
			n++;
	}
	return n;
}

static uint64_t backoff_delay (const struct policy *p, unsigned failures)
{
	double d = (double)p->restart_delay_ms;
	unsigned i;

	for (i = 0; i < failures && d < (double)p->backoff_max_ms; i++)
		d *= p->backoff_factor;
	if (d > (double)p->backoff_max_ms)
		d = (double)p->backoff_max_ms;
	return (uint64_t)d;
}

struct restart_decision restart_decide (struct restart_state *s, const struct policy *p,
                                        bool success, uint64_t now_ms)
{
	struct restart_decision d = {.action = RA_DONE};
	bool want;

	if (p->kind == KIND_ONESHOT && success)
		return d;
	switch (p->restart) {
	case RESTART_ALWAYS:
		want = true;
		break;
	case RESTART_ON_FAILURE:
		want = !success;
		break;
	default:
		want = false;
		break;
	}
	if (!want) {
		d.action = success ? RA_DONE : RA_FAILED;
		return d;
	}

	/* A long healthy run forgives earlier crashes. */
	if (now_ms >= s->last_start_ms && now_ms - s->last_start_ms >= p->start_limit_interval_ms)
		s->failures = 0;
	if (now_ms >= s->last_start_ms)
		s->run_ms += now_ms - s->last_start_ms;
	d.delay_ms = backoff_delay (p, s->failures);
	/* The restart would start at run_ms on the limit's clock. */
	d.starts_in_interval = starts_within (s, p->start_limit_interval_ms, s->run_ms);
	if (d.starts_in_interval >= p->start_limit_burst) {
		d.action = RA_GIVE_UP;
		return d;
	}
	s->failures++;
	d.action = RA_RESTART;
	return d;
}
