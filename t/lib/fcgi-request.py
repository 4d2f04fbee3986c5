#!/usr/bin/env python3
# fcgi-request.py SOCKET NAME=VALUE... < BODY: one FastCGI request (role
# responder) on a unix socket, the way nginx sends it; prints the answer
# (headers and body) and exits 0, or exits 2 when the server closed the
# connection without answering. For tests of who may talk to the socket.
import socket
import struct
import sys

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(kind, content, request_id=1):
    return struct.pack(">BBHHBx", 1, kind, request_id, len(content), 0) + content


def length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def main():
    path, pairs = sys.argv[1], sys.argv[2:]
    body = sys.stdin.buffer.read()
    params = b""
    for pair in pairs + ["CONTENT_LENGTH=%d" % len(body)]:
        name, _, value = pair.partition("=")
        name, value = name.encode(), value.encode()
        params += length(len(name)) + length(len(value)) + name + value
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    data = b""
    try:
        s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 0)) + record(PARAMS, params)
                  + record(PARAMS, b"") + (record(STDIN, body) if body else b"")
                  + record(STDIN, b""))
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    while len(data) >= 8:
        _, kind, _, clen, plen = struct.unpack(">BBHHB", data[:7])
        if kind == STDOUT:
            out += data[8:8 + clen]
        data = data[8 + clen + plen:]
    if not out:
        sys.exit(2)
    sys.stdout.buffer.write(out)


main()
