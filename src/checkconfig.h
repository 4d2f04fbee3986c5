/*
 * checkconfig.h — `kubernetes-auth check-config [--connect [-lookup NAME]]`.
 */
#ifndef KA_CHECKCONFIG_H
#define KA_CHECKCONFIG_H

#include <stdbool.h>

#include "conf.h"

/* Check CONF (and its secrets, with the admin token ADMIN_TOKEN when
 * given on the command line); with CONNECT also reach the database and
 * the directory, timing a lookup of LOOKUP (NULL: a name no one has).
 * Prints what it finds. Returns the exit status: 0, or 1. */
int checkconfig_run(const struct conf *conf, const char *admin_token,
    bool connect, const char *lookup);

#endif
