"""A minimal LSP client: JSON-RPC over the real `netdsl lsp` process's stdin/stdout."""

import json
import os
import queue
import subprocess
import sys
import threading
import time


class LspClient:
    def __init__(self, cwd):
        self.process = subprocess.Popen([sys.executable, "-m", "netdsl", "lsp"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.messages: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            header = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                header[name.strip().lower()] = value.strip()
            self.messages.put(json.loads(stream.read(int(header["content-length"]))))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float = 30) -> object:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == ident and "method" not in m, timeout)
        assert "error" not in message, message
        return message["result"]

    def wait(self, match, timeout: float = 30) -> dict:
        """The first message (already received or arriving) that matches; notifications are kept."""
        for message in self.notifications:
            if match(message):
                self.notifications.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if match(message):
                return message
            if "method" in message:
                if "id" in message:  # a request from the server (e.g. registering capabilities)
                    self.send({"id": message["id"], "result": None})
                else:
                    self.notifications.append(message)

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 30) -> list[dict]:
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri
                            and (version is None or m["params"].get("version") == version), timeout)
        return message["params"]["diagnostics"]

    def close(self) -> int:
        self.request("shutdown", {})
        self.notify("exit", {})
        return self.process.wait(timeout=10)
