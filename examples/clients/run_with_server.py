#!/usr/bin/python3
"""Runs a client against a real, throw-away triggerfishd.

    run_with_server.py --server build/server/triggerfishd [--cwd DIR]
                       [--prepare SHELL_COMMAND] -- CLIENT_COMMAND...

1. Runs the --prepare shell command (in --cwd), if any: e.g. `npm ci`.
2. Starts the server on a free loopback port with a store in a temporary
   directory and the bundled plugins (the server's default plugin
   directory) and no config file.
3. Waits until the server logs that it serves and its port accepts
   connections.
4. Runs CLIENT_COMMAND (in --cwd) with every "{address}" in its arguments
   replaced by host:port, and passes its exit code on.
5. Stops the server (SIGTERM, then SIGKILL after 10 s) whatever happened,
   and prints the server's log when something failed.

Standard library only; used by the ctest tests clients.python and
clients.node (examples/clients/CMakeLists.txt).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
READY_LINE = "triggerfishd serving on port"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="path of triggerfishd")
    parser.add_argument("--cwd", default=None, help="directory to run --prepare and the client in")
    parser.add_argument("--prepare", default=None, help="shell command to run first")
    parser.add_argument("--start-timeout", type=float, default=30.0)
    parser.add_argument("client", nargs=argparse.REMAINDER, help="-- CLIENT_COMMAND...")
    args = parser.parse_args()
    client = args.client[1:] if args.client[:1] == ["--"] else args.client
    if not client:
        parser.error("no client command after --")

    if args.prepare:
        print(f"[driver] preparing: {args.prepare}", flush=True)
        started = time.monotonic()
        if subprocess.call(args.prepare, shell=True, cwd=args.cwd) != 0:
            print("[driver] FAILED: the prepare command failed", file=sys.stderr)
            return 1
        print(f"[driver] prepared in {time.monotonic() - started:.1f} s", flush=True)

    workdir = tempfile.mkdtemp(prefix="triggerfish-client-")
    log_path = os.path.join(workdir, "server.log")
    port = free_port()
    address = f"{HOST}:{port}"
    command = [args.server, "--listen", address,
               "--store", os.path.join(workdir, "triggerfish.db"), "--log-level", "info",
               # A free port for /metrics: clients may run concurrently.
               "--admin-listen", f"{HOST}:0"]
    print(f"[driver] starting {' '.join(command)}", flush=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    failed = True
    try:
        deadline = time.monotonic() + args.start_timeout
        while not (READY_LINE in read(log_path) and port_open(port)):
            if server.poll() is not None:
                print(f"[driver] FAILED: triggerfishd exited with {server.returncode} while starting",
                      file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"[driver] FAILED: triggerfishd did not listen on {address} within "
                      f"{args.start_timeout:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.05)
        print(f"[driver] triggerfishd (pid {server.pid}) serves on {address}", flush=True)

        argv = [a.replace("{address}", address) for a in client]
        print(f"[driver] running {' '.join(argv)}", flush=True)
        started = time.monotonic()
        rc = subprocess.call(argv, cwd=args.cwd)
        print(f"[driver] client exited with {rc} after {time.monotonic() - started:.1f} s", flush=True)
        if rc != 0:
            print("[driver] FAILED: the client reported a failure (see above)", file=sys.stderr)
            return rc
        failed = False
        return 0
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print("[driver] triggerfishd ignored SIGTERM for 10 s; killing it", file=sys.stderr)
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        print(f"[driver] triggerfishd stopped (exit code {server.returncode})", flush=True)
        if failed:
            print("[driver] ---- server log ----", file=sys.stderr)
            print(read(log_path)[-20000:], file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
