/*
 * fcgi-null.c — the FastCGI ceiling for bench/run.sh.
 *
 * The least a FastCGI responder behind the same nginx can do: the same
 * libfcgi, the same number of pre-forked workers on the same kind of
 * socket; each request's body is read, and a fixed TokenReview answer is
 * written. Whatever kubernetes-auth does beyond this is its own cost.
 *
 * usage: fcgi-null SOCKET-PATH WORKERS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char answer[] =
    "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\","
    "\"status\":{\"authenticated\":true,\"user\":{\"username\":\"alice@example.org\","
    "\"uid\":\"500\",\"groups\":[\"admins\",\"developers\",\"All Users\"]}}}\n";

static void
serve(int sock)
{
	FCGX_Request r;
	char body[65536];

	FCGX_InitRequest(&r, sock, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(body, sizeof(body), r.in) > 0)
			;
		FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n", (int)(sizeof(answer) - 1));
		FCGX_PutStr(answer, sizeof(answer) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	int i, n, sock;

	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: fcgi-null SOCKET-PATH WORKERS\n");
		return 2;
	}
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	sock = FCGX_OpenSocket(argv[1], 1024);
	if (sock < 0) {
		perror(argv[1]);
		return 1;
	}
	chmod(argv[1], 0666);
	for (i = 0; i < n; i++)
		if (fork() == 0)
			serve(sock);
	/* Stop with the process group: the parent just waits. */
	signal(SIGTERM, SIG_DFL);
	while (wait(NULL) > 0)
		;
	return 0;
}
