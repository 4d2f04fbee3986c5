/*
 * plugin_tty.h — asking the person at the terminal: /dev/tty, never stdin
 * (kubectl may own it: `kubectl apply -f -`), without echo for a
 * password. Ctrl-C or a hang-up while echo is off puts the terminal
 * back before the signal takes its course; Ctrl-Z is ignored meanwhile.
 */
#ifndef KA_PLUGIN_TTY_H
#define KA_PLUGIN_TTY_H

#include <stdbool.h>
#include <stddef.h>

/* Write PROMPT to the controlling terminal and read one line (without its
 * newline) into BUF of SIZE bytes; with SECRET, echo is off meanwhile.
 * Returns 0, or -1 with ERR: no controlling terminal, end of input, or a
 * line longer than SIZE - 1. */
int plugin_tty_ask(const char *prompt, bool secret, char *buf, size_t size,
    char *err, size_t errlen);

/* Read one line of FD (a script's stdin: --password-stdin) the same way. */
int plugin_tty_read_line(int fd, char *buf, size_t size, char *err,
    size_t errlen);

#endif
