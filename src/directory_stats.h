/*
 * directory_stats.h — where the time of the last lookup went
 * (directory_get_stats()), as a TokenReview's audit line shows it
 * (doc/authentication.md, "Audit lines").
 *
 * A header of its own because two headers need the whole type: the public
 * directory.h, for callers, and directory_internal.h, where the handle
 * keeps it. directory_internal.h cannot take it from directory.h without
 * an include circle (directory.c includes both).
 */
#ifndef KA_DIRECTORY_STATS_H
#define KA_DIRECTORY_STATS_H

#include <stdbool.h>

/* Of the last dirsearch_lookup() or dircache_lookup(), in microseconds. */
struct directory_stats {
	long bind_us;                   /* service bind (and any reconnect) */
	long search_us;                 /* user and group searches */
	long group_search_us;           /* the groups: searches and what is
	                                   done with their answers */
	long user_search_us;            /* the user search alone */
	unsigned searches;              /* search operations (pages count) */
	bool cached;                    /* answered from the cache */
};

#endif
