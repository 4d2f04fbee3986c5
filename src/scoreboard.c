/*
 * scoreboard.c — the shared-memory worker table.
 */
#include "scoreboard.h"

#include <stddef.h>
#include <sys/mman.h>
#include <time.h>

#include "ktime.h"
#include "log.h"

struct scoreboard *
scoreboard_new(int nslots)
{
	size_t size = sizeof(struct scoreboard) + nslots * sizeof(struct scoreboard_slot);
	struct scoreboard *sb;

	sb = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb == MAP_FAILED) {
		log_warn("mmap(%zu bytes) for the scoreboard", size);
		return NULL;
	}
	/* Anonymous mappings are zero-filled: every slot starts EMPTY. */
	sb->nslots = nslots;
	return sb;
}

void
scoreboard_free(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(struct scoreboard) +
		    sb->nslots * sizeof(struct scoreboard_slot));
}

void
scoreboard_set_state(struct scoreboard_slot *slot, enum scoreboard_state state)
{
	if (state == SCOREBOARD_BUSY)
		atomic_store(&slot->busy_since_ms, ktime_mono_us() / 1000);
	else if (state == SCOREBOARD_IDLE)
		atomic_store(&slot->accepted, true);
	atomic_store(&slot->state, state);
}
