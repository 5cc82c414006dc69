"""A scripted OpenAI-compatible HTTP server for tests that run wirecoder as real processes.

`python tests/scripted_openai_server.py --delay 1.0` listens on 127.0.0.1 (a free port unless
`--port`), prints `listening http://127.0.0.1:PORT/v1` and answers every POST .../chat/completions
after `--delay` seconds with the smallest answer the request's own schema accepts: the forced
tool's parameters (tools mode) or the response_format's JSON schema. GET /calls returns how many
requests it answered per key, a key being the first match of `--key-pattern` in the request's
messages (tests put a marker in each article).

Its answers are written by hand for mechanics tests (queues, workers, recovery): they are never
stored as recordings and never count as quality.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "scripted-test-model"


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value valid under a pydantic-generated JSON schema: required fields only,
    empty lists, first enum values, null where allowed."""
    if "$ref" in schema:
        return minimal_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        if any(option.get("type") == "null" for option in options):
            return None
        return minimal_instance(options[0], defs)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        return {name: minimal_instance(properties[name], defs) for name in required}
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), defs)] * schema.get("minItems", 0)
    if kind == "string":
        return "x" * schema.get("minLength", 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    return None


def completion(request: dict[str, Any], n: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if request.get("tools"):
        function = request["tools"][0]["function"]
        schema = function["parameters"]
        arguments = minimal_instance(schema, schema.get("$defs", {}))
        message["tool_calls"] = [
            {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": function["name"], "arguments": json.dumps(arguments)},
            }
        ]
        finish = "tool_calls"
    else:
        schema = ((request.get("response_format") or {}).get("json_schema") or {}).get("schema")
        answer = minimal_instance(schema, schema.get("$defs", {})) if schema else {}
        message["content"] = json.dumps(answer)
    return {
        "id": f"chatcmpl-scripted-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model") or MODEL,
        "choices": [{"index": 0, "finish_reason": finish, "logprobs": None, "message": message}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


class ScriptedModel:
    def __init__(self, delay_s: float, key_pattern: str) -> None:
        self.delay_s = delay_s
        self.key_pattern = re.compile(key_pattern)
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def key(self, request: dict[str, Any]) -> str:
        text = json.dumps(request.get("messages", []))
        match = self.key_pattern.search(text)
        return match.group(0) if match else "(no key)"


def handler_for(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no {self.path} here"}})
                return
            time.sleep(model.delay_s)
            with model.lock:
                model.calls[model.key(body)] += 1
                n = sum(model.calls.values())
            self._send(200, completion(body, n))

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/calls":
                self._send(404, {"error": {"message": f"no {self.path} here"}})
                return
            with model.lock:
                self._send(200, {"calls": dict(model.calls)})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # the client may have died waiting (a killed worker): nothing to answer then
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the tests read /calls

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before each answer")
    parser.add_argument("--key-pattern", default=r"wirecoder-test-article-[a-z0-9-]+")
    args = parser.parse_args()
    model = ScriptedModel(args.delay, args.key_pattern)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(model))
    server.daemon_threads = True
    print(f"listening http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
