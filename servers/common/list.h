/* list.h - an intrusive doubly linked list, in the manner of the Linux kernel's
 * list.h: the node lives inside the element, so linking and unlinking allocate
 * nothing and cost O(1). The head is a node of its own (a ring through it).
 */
#ifndef LIST_H
#define LIST_H

#include <stddef.h>

struct list_node {
	struct list_node *prev, *next; /* NULL, NULL: not in any list */
};

/* The element of type `type` whose member `member` is node p. */
#define list_entry(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

static inline void list_init(struct list_node *head)
{
	head->prev = head->next = head;
}

static inline int list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline int list_linked(const struct list_node *n)
{
	return n->next != NULL;
}

/* Insert n after at (at may be the head: n becomes the first). */
static inline void list_insert_after(struct list_node *at, struct list_node *n)
{
	n->prev = at;
	n->next = at->next;
	at->next->prev = n;
	at->next = n;
}

/* Append n at the tail of head's list. */
static inline void list_append(struct list_node *head, struct list_node *n)
{
	list_insert_after(head->prev, n);
}

/* Unlink n; harmless when n is in no list. */
static inline void list_remove(struct list_node *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

/* The first node, or NULL when the list is empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}

#endif
