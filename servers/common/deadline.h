/* deadline.h - one list of deadlines, ordered by due time, over list.h.
 *
 * Where every entry has the same timeout (a loop's --idle-ms), an entry set
 * again goes to the tail and the list stays ordered for free: setting,
 * cancelling and finding the earliest are O(1). Entries with other timeouts
 * (sleeps) are inserted in order, scanning back from the tail: O(1) when the
 * new deadline is the latest or the earliest, O(n) at worst. Times are the caller's (ms of
 * the monotonic clock, clock.h). Not locked: one list per thread.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include "list.h"

struct deadline {
	struct list_node node;
	long long due_ms;
};

struct deadline_list {
	struct list_node items; /* earliest first */
};

static inline void deadline_list_init(struct deadline_list *l)
{
	list_init(&l->items);
}

static inline int deadline_armed(const struct deadline *d)
{
	return list_linked(&d->node);
}

static inline void deadline_cancel(struct deadline *d)
{
	list_remove(&d->node);
}

/* (Re)arm d for due_ms. */
static inline void deadline_set(struct deadline_list *l, struct deadline *d, long long due_ms)
{
	if (deadline_armed(d) && d->node.next == &l->items && due_ms >= d->due_ms) {
		d->due_ms = due_ms; /* already the latest: stays the tail */
		return;
	}
	deadline_cancel(d);
	d->due_ms = due_ms;
	struct list_node *at = l->items.prev;
	if (at != &l->items && due_ms < list_entry(l->items.next, struct deadline, node)->due_ms)
		at = &l->items; /* the earliest: goes first */
	while (at != &l->items && list_entry(at, struct deadline, node)->due_ms > due_ms)
		at = at->prev;
	list_insert_after(at, &d->node);
}

/* The earliest deadline, or NULL. */
static inline struct deadline *deadline_first(const struct deadline_list *l)
{
	struct list_node *n = list_first(&l->items);
	return n ? list_entry(n, struct deadline, node) : NULL;
}

/* The earliest deadline if it is due at now_ms, else NULL. */
static inline struct deadline *deadline_expired(const struct deadline_list *l, long long now_ms)
{
	struct deadline *d = deadline_first(l);
	return d && d->due_ms <= now_ms ? d : NULL;
}

/* Milliseconds from now_ms until the earliest deadline (0 if past); -1: none. */
static inline int deadline_wait_ms(const struct deadline_list *l, long long now_ms)
{
	struct deadline *d = deadline_first(l);
	if (!d)
		return -1;
	long long left = d->due_ms - now_ms;
	return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

#endif
