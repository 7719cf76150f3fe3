#!/usr/bin/env python3
"""How long a normal request waits while slow clients are connected to an attnviz server.

Opens IDLE connections that send nothing and TRICKLE connections that send one byte of a request every
INTERVAL seconds, waits a second, then times GET /api/run from a fresh connection (each attempt bounded by
LIMIT seconds). Prints one line: "normal request: S s (status)". Plain Python, no dependencies.
Usage: slow_clients.py PORT [--idle 200] [--trickle 40] [--interval 2] [--limit 60]
"""
import argparse
import socket
import threading
import time
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--trickle", type=int, default=40)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--limit", type=float, default=60.0)
    args = parser.parse_args()

    idle = [socket.create_connection(("127.0.0.1", args.port)) for _ in range(args.idle)]
    trickling = [socket.create_connection(("127.0.0.1", args.port)) for _ in range(args.trickle)]
    done = threading.Event()

    def trickle():
        request = b"GET /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
        at = 0
        while not done.is_set():
            for s in trickling:
                try:
                    s.send(request[at % len(request):at % len(request) + 1])
                except OSError:
                    pass
            at += 1
            done.wait(args.interval)

    thread = threading.Thread(target=trickle)
    thread.start()
    time.sleep(1.0)
    start = time.time()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/run", timeout=args.limit) as answer:
            outcome = str(answer.status)
    except Exception as e:  # a timeout or a refusal is a result too
        outcome = f"failed: {e}"
    print(f"normal request: {time.time() - start:.3f} s ({outcome})")
    done.set()
    thread.join()
    for s in idle + trickling:
        s.close()


if __name__ == "__main__":
    main()
