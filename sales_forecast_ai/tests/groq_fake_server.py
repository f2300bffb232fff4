"""An OpenAI-compatible server on 127.0.0.1 that plays scripted replies to the real ``groq`` client.

Pure Python (no Odoo): the engine-lane tests load this file by path too. Each POST to
``/openai/v1/chat/completions`` takes the next scripted reply and records the request body; GET
``/openai/v1/models`` lists models. Replies: ``answer``, ``tool_call``, ``error`` (status, body,
headers), ``slow`` (sleeps before answering) and ``raw`` (any bytes, e.g. garbage JSON).
"""
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODELS = ["llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-20b"]


def completion(message, finish_reason="stop", usage=(50, 10)):
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": "fake", "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def answer(text, usage=(50, 10)):
    return {"status": 200, "body": completion({"role": "assistant", "content": text}, usage=usage)}


def tool_call(name, arguments, call_id=None, raw_arguments=None):
    """One reply asking for one tool (``arguments`` a dict, or ``raw_arguments`` sent as is)."""
    calls = [{"id": call_id or f"call_{name}", "type": "function", "function": {
        "name": name, "arguments": raw_arguments if raw_arguments is not None else json.dumps(arguments)}}]
    return {"status": 200, "body": completion({"role": "assistant", "content": None, "tool_calls": calls},
                                               finish_reason="tool_calls")}


def error(status, message, code=None, err_type="invalid_request_error", headers=None):
    body = {"error": {"message": message, "type": err_type}}
    if code:
        body["error"]["code"] = code
    return {"status": status, "body": body, "headers": headers or {}}


def rate_limited(retry_after="7"):
    return error(429, "Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM). "
                      "Please try again in 7.5s.", code="rate_limit_exceeded", err_type="tokens",
                 headers={"retry-after": retry_after})


def decommissioned(model="llama3-70b-8192"):
    return error(400, f"The model `{model}` has been decommissioned and is no longer supported. Please refer to "
                      "https://console.groq.com/docs/deprecations for a recommendation on which model to use "
                      "instead.", code="model_decommissioned")


def slow(delay, reply=None):
    return {**(reply or answer("too late")), "delay": delay}


def raw(data, status=200, content_type="application/json"):
    return {"status": status, "raw": data, "content_type": content_type}


class FakeGroqServer:
    """``with FakeGroqServer() as server: server.push(...); Groq(base_url=server.base_url, ...)``."""

    def __init__(self):
        self.script = deque()
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None
        self.thread = None

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def push(self, *replies):
        with self.lock:
            self.script.extend(replies)

    def chat_requests(self):
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, data, content_type="application/json", headers=None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def do_GET(self):
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": None})
                if self.path.rstrip("/").endswith("/models"):
                    data = {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "fake", "active": True,
                         "context_window": 131072} for m in MODELS]}
                    self._send(200, json.dumps(data).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                with server.lock:
                    reply = server.script.popleft() if server.script else error(
                        500, "fake server: no scripted reply left", err_type="server_error")
                if reply.get("delay"):
                    time.sleep(reply["delay"])
                if "raw" in reply:
                    data = reply["raw"] if isinstance(reply["raw"], bytes) else reply["raw"].encode()
                    self._send(reply["status"], data, reply.get("content_type", "application/json"))
                else:
                    self._send(reply["status"], json.dumps(reply["body"]).encode(), headers=reply.get("headers"))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
