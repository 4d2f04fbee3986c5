/*
 * scoreboard.h — per-worker state in shared memory.
 *
 * The master maps the table before forking; each worker writes only its own
 * slot, the master reads every slot (stuck requests, readiness during a
 * rolling reload, crash throttling) and clears a slot when it reaps its
 * worker. Fields are C11 atomics: no locks between processes.
 */
#ifndef KA_SCOREBOARD_H
#define KA_SCOREBOARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

enum scoreboard_state {
	SCOREBOARD_EMPTY = 0,
	SCOREBOARD_STARTING,            /* forked, opening its connections */
	SCOREBOARD_IDLE,                /* waiting in accept */
	SCOREBOARD_BUSY,                /* inside a request */
};

struct scoreboard_slot {
	_Atomic int state;              /* enum scoreboard_state */
	_Atomic pid_t pid;
	_Atomic bool accepted;          /* reached accept at least once */
	_Atomic unsigned long requests; /* served by this worker */
	_Atomic long long busy_since_ms;  /* CLOCK_MONOTONIC, when BUSY */
};

struct scoreboard {
	int nslots;
	struct scoreboard_slot slots[];
};

/* Map a table of NSLOTS slots shared with every future child.
 * Returns NULL after logging. Free with scoreboard_free(). */
struct scoreboard *scoreboard_new(int nslots);
void scoreboard_free(struct scoreboard *sb);

/* Worker side: mark the slot's state (BUSY stamps busy_since_ms). */
void scoreboard_set_state(struct scoreboard_slot *slot, enum scoreboard_state state);

#endif
