"""Benchmark: client-side CPU per signed KMS call, the Rust client against the official Python SDK
(alibabacloud-kms20160120 with signature_algorithm="v2"), in the same run, against the same tiny
local server that answers every request with a canned GetClientKey body.

Each client runs as its own process, twice: with WARMUP calls and with WARMUP + CALLS calls. The
CPU the kernel charges each process (user + system, from wait4) is measured, and the difference
divided by CALLS is the CPU per call, free of start-up, imports and connection set-up. The server
runs in this process, so its CPU is charged to neither client. Every request is checked for a
SignatureNonce and a Signature, and the server counts them.

Usage (from the repository root):
    cargo build --release --example kms_signed_call_bench
    .venv/bin/python tests/python/kms_bench_signed_call.py [--calls 5000] [--warmup 200] [--rounds 3]
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUST_CLIENT = os.path.join(ROOT, "target", "release", "examples", "kms_signed_call_bench")
PYTHON_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kms_bench_python_client.py")

BODY = (
    b'{"RequestId":"63d849a6-045b-4a57-ad9f-c5f756cea9e9","ClientKeyId":"KAAP.66abf237-63f6-4625-b8cf-47e1086e0000",'
    b'"CreateTime":"2023-08-31T09:14:38Z","KeyAlgorithm":"RSA_2048","KeyOrigin":"KMS_PROVIDED",'
    b'"PublicKeyData":"-----BEGIN CERTIFICATE-----\\nMIID\\n-----END CERTIFICATE-----",'
    b'"NotAfter":"2028-08-31T17:14:33Z","NotBefore":"2023-08-31T17:14:33Z","AapName":"aap_test"}'
)


class CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer the reply and send it in one write, with Nagle off: otherwise the header and body
    # writes meet the client's delayed ACK and every call waits ~40 ms.
    wbufsize = -1
    disable_nagle_algorithm = True
    served = 0
    unsigned = 0
    lock = threading.Lock()

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        with CannedHandler.lock:
            CannedHandler.served += 1
            if "Signature" not in query or "SignatureNonce" not in query or query.get("Action") != ["GetClientKey"]:
                CannedHandler.unsigned += 1
        self.send_response(200)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
        self.wfile.flush()

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args):
        pass


def usage_of(command):
    """Runs command; returns (user CPU, system CPU, wall) seconds of that process."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("%s failed with %d" % (command, os.waitstatus_to_exitcode(status)))
    return usage.ru_utime, usage.ru_stime, time.perf_counter() - started


def per_call(command_for, warmup, calls):
    """(user, system, wall) seconds per call, from the difference of a short and a long run."""
    small = usage_of(command_for(warmup))
    big = usage_of(command_for(warmup + calls))
    return tuple((long - short) / calls for short, long in zip(small, big))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if not os.path.exists(RUST_CLIENT):
        raise SystemExit("build it first: cargo build --release --example kms_signed_call_bench")

    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = "127.0.0.1:%d" % server.server_address[1]

    clients = {
        "rust (multi-thread runtime)": lambda n: [RUST_CLIENT, endpoint, str(n), "multi-thread"],
        "rust (current-thread runtime)": lambda n: [RUST_CLIENT, endpoint, str(n), "current-thread"],
        "python sdk (v2 signature)": lambda n: [sys.executable, PYTHON_CLIENT, endpoint, str(n)],
    }
    results = {name: [] for name in clients}
    for _ in range(arguments.rounds):
        for name, command_for in clients.items():
            results[name].append(per_call(command_for, arguments.warmup, arguments.calls))
    server.shutdown()

    expected = arguments.rounds * len(clients) * (2 * arguments.warmup + arguments.calls)
    print("requests served: %d (expected %d), unsigned: %d" % (CannedHandler.served, expected, CannedHandler.unsigned))
    print("%d calls per run, best of %d rounds, microseconds per call" % (arguments.calls, arguments.rounds))
    print("%-30s %9s %9s %9s %9s" % ("client", "cpu", "user", "system", "wall"))
    best = {}
    for name, rounds in results.items():
        user, system, wall = min(rounds, key=lambda result: result[0] + result[1])
        best[name] = (user + system, user)
        print("%-30s %9.1f %9.1f %9.1f %9.1f" % (name, (user + system) * 1e6, user * 1e6, system * 1e6, wall * 1e6))
    python_cpu, python_user = best["python sdk (v2 signature)"]
    for name, (cpu, user) in best.items():
        if name.startswith("rust"):
            print("python / %s: %.1fx less cpu, %.1fx less user cpu" % (name, python_cpu / cpu, python_user / user))
    if CannedHandler.served != expected or CannedHandler.unsigned:
        raise SystemExit("the server did not see the expected signed requests")


if __name__ == "__main__":
    main()
