"""Control socket: lets tests steer a running simulator.

A UNIX stream socket; every line a client sends is one JSON object, and
every one gets exactly one JSON line back, {"ok": true, ...} or
{"ok": false, "error": "..."}.  Commands:

    {"cmd": "urc", "text": "+FOO: 1"}          emit a URC now
    {"cmd": "raw", "hex": "0d0a4f"}            emit raw bytes
    {"cmd": "reboot"}                          simulated reboot
    {"cmd": "fault", "name": "drop-rate", "value": 0.1}   set a fault switch
    {"cmd": "stats"}                           counters
    {"cmd": "commands"}                        every command line received
    {"cmd": "option", "name": "inject-events", "value": true}   set a dialect option
                                               (Sequans: hce-timeout, hce-helper)
    {"cmd": "options"}                         the dialect's options and their values
    {"cmd": "commands", "last": 3}             only the last 3, and "total"
    {"cmd": "drop", "what": "mqtt"}            the network drops a link now
                                               (dialects with connections:
                                               "mqtt", "sockets" or "all")
"""

import json
import os
import socketserver
import threading


def handle_request(modem, msg):
    """Execute one control request against a Modem; returns the reply dict."""
    if not isinstance(msg, dict):
        raise ValueError("request must be a JSON object")
    cmd = msg.get("cmd")
    if cmd == "urc":
        text = msg.get("text")
        if not isinstance(text, str):
            raise ValueError("urc needs a string 'text'")
        modem.urc(text)
        return {"ok": True}
    if cmd == "raw":
        modem.raw(bytes.fromhex(str(msg.get("hex", ""))))
        return {"ok": True}
    if cmd == "reboot":
        modem.reboot("control socket")
        return {"ok": True}
    if cmd == "fault":
        if "name" not in msg or "value" not in msg:
            raise ValueError("fault needs 'name' and 'value'")
        modem.set_fault(msg["name"], msg["value"])
        return {"ok": True, "faults": modem.faults.settings()}
    if cmd == "stats":
        return {"ok": True, **modem.stats()}
    if cmd == "commands":
        commands = modem.commands()
        if "last" not in msg:
            return {"ok": True, "commands": commands}
        last = msg["last"]
        if not isinstance(last, int) or isinstance(last, bool) or last < 0:
            raise ValueError("'last' must be a non-negative integer")
        return {"ok": True, "commands": commands[len(commands) - last:] if last else [],
                "total": len(commands)}
    if cmd == "option":
        if "name" not in msg or "value" not in msg:
            raise ValueError("option needs 'name' and 'value'")
        modem.dialect.set_option(msg["name"], msg["value"])
        modem.trace.note(f"dialect option {msg['name']} = {msg['value']!r}")
        return {"ok": True, "options": modem.dialect.options()}
    if cmd == "options":
        return {"ok": True, "options": modem.dialect.options()}
    if cmd == "drop":
        what = msg.get("what", "all")
        if not isinstance(what, str):
            raise ValueError("drop needs a string 'what'")
        return {"ok": True, "dropped": modem.drop_links(what)}
    raise ValueError(f"unknown command {cmd!r}")


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw_line in self.rfile:
            if not raw_line.strip():
                continue
            try:
                reply = handle_request(self.server.modem, json.loads(raw_line))
            except Exception as exc:  # any bad request gets an answer, not a hang-up
                reply = {"ok": False, "error": str(exc)}
            self.wfile.write(json.dumps(reply).encode() + b"\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class ControlServer:
    def __init__(self, modem, path):
        self.path = path
        if os.path.exists(path) or os.path.islink(path):
            os.unlink(path)  # stale socket of an earlier run
        self._server = _Server(path, _Handler)
        self._server.modem = modem
        self._thread = threading.Thread(target=lambda: self._server.serve_forever(poll_interval=0.05),
                                        name="sim-control", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def close(self):
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
