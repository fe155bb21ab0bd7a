/* --slow K:MODE[:ARG]: K slow connections beside the normal ones, on a thread
 * of their own, so they neither slow nor count in the normal connections'
 * loops.  Their figures stay apart from the row's (struct slow_result). */
#ifndef LOADGEN_SLOW_H
#define LOADGEN_SLOW_H

#include <stdint.h>

#include "opts.h"
#include "worker.h"

/* What the slow connections met in the measured window (the counts) and at
 * its end (still_open).  Each field sums over clients (--merge). */
struct slow_result {
	int conns;            /* K */
	int served;           /* connections that got at least one whole response */
	int closed;           /* connections the server closed at least once */
	int still_open;       /* connected when the run stopped */
	uint64_t responses;   /* whole responses the slow connections read */
	uint64_t closes;      /* times the server closed one of them */
	uint64_t connect_err; /* connects refused or failed */
};

struct slow;

/* The slow connections use source-address slots first_slot.. (port spreading). */
struct slow *slow_create(struct shared *sh, const struct opts *o, int first_slot);
int slow_start(struct slow *s);
/* Waits until every slow connection has connected once, or timeout_ns; returns how many have. */
int slow_wait_open(struct slow *s, uint64_t timeout_ns);
/* Joins the thread (after PHASE_STOP) and fills r. */
void slow_finish(struct slow *s, struct slow_result *r);
void slow_destroy(struct slow *s);

#endif
