"""
A stand-in for the alicloud-kms-provider binary that replays fixed replies, for testing the SDK
runtime helpers over a real process and real pipes. It speaks the same framing (one JSON value
per line on stdin/stdout) and is driven by a JSON script named in SCRIPTED_PROVIDER_SCRIPT:

    {
      "replies": {"<method>": {"result": ...} | {"error": {...}}},   # fixed replies by method
      "logs": {"<method>": [{"severity": ..., "message": ...}]},      # sent before that reply
      "hold": {"method": "<method>", "count": N},                     # answer N such requests in reverse order
      "junk_first": true,                                             # write a non-JSON line at start
      "exit_on": {"<method>": <exit code>},                           # exit without replying
      "record": "<path>"                                              # append each request received, as JSONL
    }

A method without a fixed reply gets an echo: {"method", "params", "history"}, where history lists
the methods this process has received so far, so tests can see what reached the child and when.
"""

import json
import os
import sys


def main() -> int:
    with open(os.environ["SCRIPTED_PROVIDER_SCRIPT"], encoding="utf-8") as script_file:
        script = json.load(script_file)
    replies = script.get("replies", {})
    logs = script.get("logs", {})
    hold = script.get("hold") or {}
    exit_on = script.get("exit_on", {})
    history: list[str] = []
    held: list[dict] = []

    def write(message: dict) -> None:
        sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def answer(request: dict) -> None:
        method = request["method"]
        for entry in logs.get(method, []):
            write({"jsonrpc": "2.0", "method": "log", "params": entry})
        reply = replies.get(method)
        if reply is None:
            reply = {"result": {"method": method, "params": request.get("params"), "history": list(history)}}
        write({"jsonrpc": "2.0", "id": request["id"], **reply})

    if script.get("junk_first"):
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if script.get("record"):
            with open(script["record"], "a", encoding="utf-8") as record:
                record.write(json.dumps(request) + "\n")
        method = request["method"]
        history.append(method)
        if method in exit_on:
            return int(exit_on[method])
        if method == hold.get("method"):
            held.append(request)
            if len(held) == int(hold["count"]):
                for waiting in reversed(held):
                    answer(waiting)
                held.clear()
            continue
        answer(request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
