#!/usr/bin/env python3
"""pty-run.py -- run a command on a terminal of its own and answer prompts.

usage: pty-run.py [--answer REGEX TEXT]... [--wait-for REGEX]...
                  [--transcript FILE] [--timeout SECONDS] -- COMMAND...

COMMAND runs in a new session whose controlling terminal is a fresh pty
(what a person's terminal is to it: /dev/tty works, echo can be turned
off). Everything written to the terminal is read and, with --transcript,
kept. Each --answer is used once, in order: when REGEX matches what the
terminal showed since the previous answer, TEXT and a newline are typed.
No answer is typed before every --wait-for REGEX has shown (e.g. a second
process saying it waits). Exits with COMMAND's status; 124 (and the
command killed) when it has not ended within --timeout seconds, 125 when
an --answer's prompt never showed before it ended.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--answer", nargs=2, action="append", default=[],
                   metavar=("REGEX", "TEXT"))
    p.add_argument("--wait-for", action="append", default=[])
    p.add_argument("--transcript")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command:
        p.error("no command")

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)

    answers = [(re.compile(r), t) for r, t in a.answer]
    waits = [re.compile(r) for r in a.wait_for]
    seen, since = b"", b""
    deadline = time.monotonic() + a.timeout
    status = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = 124
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            seen += data
            since += data
        text = since.decode(errors="replace")
        if answers and all(w.search(seen.decode(errors="replace"))
                           for w in waits):
            regex, answer = answers[0]
            if regex.search(text):
                os.write(fd, answer.encode() + b"\n")
                answers.pop(0)
                since = b""
    if status is None:
        _, raw = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(raw)
        if status < 0:
            status = 128 - status
        if answers:
            status = 125
    if a.transcript:
        with open(a.transcript, "wb") as f:
            f.write(seen)
    sys.exit(status)


if __name__ == "__main__":
    main()
