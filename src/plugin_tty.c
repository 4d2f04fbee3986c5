/*
 * plugin_tty.c — a prompt on /dev/tty, echo off for secrets.
 */
#include "plugin_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* What a signal handler needs to put the terminal back. */
static volatile sig_atomic_t plugin_tty_fd = -1;
static struct termios plugin_tty_saved;

/* While echo is off, these put the terminal back and take their course;
 * stopping (Ctrl-Z) is ignored, which would leave the terminal silent. */
static const int plugin_tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGTSTP, SIGTTIN, SIGTTOU };
#define PLUGIN_TTY_NFATAL 4
#define PLUGIN_TTY_NSIGNALS \
	(sizeof(plugin_tty_signals) / sizeof(plugin_tty_signals[0]))

/* Echo back on, then the signal's own action. tcsetattr() and raise()
 * are async-signal-safe. */
static void
plugin_tty_restore(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	if (plugin_tty_fd >= 0)
		tcsetattr(plugin_tty_fd, TCSAFLUSH, &plugin_tty_saved);
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

int
plugin_tty_read_line(int fd, char *buf, size_t size, char *err, size_t errlen)
{
	size_t len = 0;
	char c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0 && len == 0) {
			snprintf(err, errlen, "end of input");
			goto fail;
		}
		if (n == 0 || c == '\n')
			break;
		if (len + 1 >= size) {
			snprintf(err, errlen, "the line is longer than %zu bytes",
			    size - 1);
			goto fail;
		}
		buf[len++] = c;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return 0;
fail:
	explicit_bzero(buf, size);
	return -1;
}

int
plugin_tty_ask(const char *prompt, bool secret, char *buf, size_t size,
    char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = plugin_tty_restore };
	struct sigaction old[PLUGIN_TTY_NSIGNALS];
	struct termios quiet;
	size_t i;
	int fd, rc = -1;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "no terminal to ask on (/dev/tty: %s)",
		    strerror(errno));
		return -1;
	}
	if (secret) {
		if (tcgetattr(fd, &plugin_tty_saved) < 0) {
			snprintf(err, errlen, "the terminal: %s", strerror(errno));
			close(fd);
			return -1;
		}
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < PLUGIN_TTY_NSIGNALS; i++) {
			sa.sa_handler = i < PLUGIN_TTY_NFATAL ?
			    plugin_tty_restore : SIG_IGN;
			sigaction(plugin_tty_signals[i], &sa, &old[i]);
		}
		/* Echo off before the prompt shows: what is typed after it
		 * is never echoed (and what was typed before it is dropped). */
		plugin_tty_fd = fd;
		quiet = plugin_tty_saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;        /* the Enter shows as a new line */
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		snprintf(err, errlen, "cannot write to the terminal: %s",
		    strerror(errno));
	else
		rc = plugin_tty_read_line(fd, buf, size, err, errlen);
	if (secret) {
		tcsetattr(fd, TCSAFLUSH, &plugin_tty_saved);
		plugin_tty_fd = -1;
		for (i = 0; i < PLUGIN_TTY_NSIGNALS; i++)
			sigaction(plugin_tty_signals[i], &old[i], NULL);
	}
	close(fd);
	return rc;
}
