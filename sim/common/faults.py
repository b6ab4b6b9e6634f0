"""Deterministic fault injection for the modem simulator.

All randomness comes from one ``random.Random`` seeded at construction, so a
given seed and a given sequence of output units always produce the same
faults.  The modem calls into this module while holding its output lock,
which keeps the order of RNG draws equal to the order of bytes on the wire.

Fault switches (names as used on the command line and the control socket):

    drop-rate          probability that an outgoing byte is dropped
    corrupt-rate       probability that an outgoing byte is replaced
    garbage-rate       probability that a garbage chunk precedes an output unit
    delay-ms           delay applied before every final result code
    reboot-after-cmds  reboot in the middle of the response to the Nth command
    lose-prompts       the next N data prompts ("> ") never reach the host (as
                       when a byte of one is dropped or damaged); the modem still
                       waits for, and counts, the payload bytes (issue 16 item 10)
"""

import random
import string
import threading

FAULT_NAMES = ("drop-rate", "corrupt-rate", "garbage-rate", "delay-ms", "reboot-after-cmds",
               "lose-prompts")

# Junk never contains CR/LF (line structure is decided by the chosen ending
# only) and never starts with '>' so it cannot pass for a data prompt.
_JUNK_CHARS = (string.ascii_letters + string.digits + " !\"#$%&'()*+,-./:;<=?@[]^_`{|}~").encode()
_LONG_GARBAGE_LEN = 3000


def _canonical(name):
    """Accept 'drop_rate' and 'drop-rate' alike."""
    return str(name).strip().lower().replace("_", "-")


class Faults:
    """Fault switches, the seeded RNG and the counters of injected faults."""

    def __init__(self, seed=0, drop_rate=0.0, corrupt_rate=0.0, garbage_rate=0.0,
                 delay_ms=0, reboot_after_cmds=0, lose_prompts=0):
        self._lock = threading.Lock()
        self._seed = seed
        self.rng = random.Random(seed)
        self.drop_rate = 0.0
        self.corrupt_rate = 0.0
        self.garbage_rate = 0.0
        self.delay_ms = 0
        self.reboot_after_cmds = 0
        self._cmds_since_armed = 0
        self.lose_prompts = 0
        self.counts = {"dropped_bytes": 0, "corrupted_bytes": 0, "garbage_units": 0,
                       "delayed_results": 0, "forced_reboots": 0, "lost_prompts": 0}
        self.set("drop-rate", drop_rate)
        self.set("corrupt-rate", corrupt_rate)
        self.set("garbage-rate", garbage_rate)
        self.set("delay-ms", delay_ms)
        self.set("reboot-after-cmds", reboot_after_cmds)
        self.set("lose-prompts", lose_prompts)

    # -- configuration -----------------------------------------------------

    def set(self, name, value):
        """Set one switch by name; raises ValueError for bad names/values.

        'seed' is accepted too and restarts the RNG, so a test can get a
        reproducible sequence from a known point at runtime.
        """
        name = _canonical(name)
        with self._lock:
            if name in ("drop-rate", "corrupt-rate", "garbage-rate"):
                p = float(value)
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"{name} must be within 0..1, got {value!r}")
                setattr(self, name.replace("-", "_"), p)
            elif name == "delay-ms":
                ms = int(value)
                if ms < 0:
                    raise ValueError("delay-ms must be >= 0")
                self.delay_ms = ms
            elif name == "reboot-after-cmds":
                n = int(value)
                if n < 0:
                    raise ValueError("reboot-after-cmds must be >= 0")
                # Counting restarts whenever the switch is (re)armed.
                self.reboot_after_cmds = n
                self._cmds_since_armed = 0
            elif name == "lose-prompts":
                n = int(value)
                if n < 0:
                    raise ValueError("lose-prompts must be >= 0")
                self.lose_prompts = n
            elif name == "seed":
                self._seed = int(value)
                self.rng.seed(self._seed)
            else:
                raise ValueError(f"unknown fault switch {name!r}")

    def settings(self):
        with self._lock:
            return {"seed": self._seed, "drop-rate": self.drop_rate,
                    "corrupt-rate": self.corrupt_rate, "garbage-rate": self.garbage_rate,
                    "delay-ms": self.delay_ms, "reboot-after-cmds": self.reboot_after_cmds,
                    "lose-prompts": self.lose_prompts}

    def snapshot_counts(self):
        with self._lock:
            return dict(self.counts)

    # -- per-byte faults -----------------------------------------------------

    def mangle(self, data):
        """Apply drop/corrupt to outgoing bytes; returns (bytes, [notes])."""
        with self._lock:
            if not data or (self.drop_rate == 0.0 and self.corrupt_rate == 0.0):
                return data, []
            rng = self.rng
            out = bytearray()
            dropped = corrupted = 0
            for b in data:
                if self.drop_rate and rng.random() < self.drop_rate:
                    dropped += 1
                    continue
                if self.corrupt_rate and rng.random() < self.corrupt_rate:
                    # Adding 1..255 modulo 256 guarantees a different value.
                    b = (b + rng.randrange(1, 256)) % 256
                    corrupted += 1
                out.append(b)
            self.counts["dropped_bytes"] += dropped
            self.counts["corrupted_bytes"] += corrupted
            notes = []
            if dropped:
                notes.append(f"drop: {dropped} of {len(data)} bytes dropped")
            if corrupted:
                notes.append(f"corrupt: {corrupted} of {len(data)} bytes corrupted")
            return bytes(out), notes

    # -- per-unit faults -----------------------------------------------------

    def garbage(self):
        """Maybe produce a garbage chunk to send before the next unit.

        Returns None or (bytes, note).  Three kinds are mixed: printable junk,
        a chunk containing NULs and other binary bytes, and an over-long line.
        Each ends with CR LF or with nothing at all (a partial line).
        """
        with self._lock:
            if not self.garbage_rate or self.rng.random() >= self.garbage_rate:
                return None
            rng = self.rng
            kind = rng.choice(("junk", "nul", "long"))
            if kind == "junk":
                body = bytes(rng.choice(_JUNK_CHARS) for _ in range(rng.randint(8, 60)))
            elif kind == "nul":
                body = bytearray(rng.choice((0, 0, 0, 1, 0x7F, 0x80, 0xFE, 0xFF, 0x41))
                                 for _ in range(rng.randint(4, 40)))
                body[rng.randrange(len(body))] = 0  # at least one NUL for sure
                body = bytes(body)
            else:
                body = bytes(rng.choice(_JUNK_CHARS) for _ in range(_LONG_GARBAGE_LEN))
            ending = rng.choice((b"\r\n", b""))
            self.counts["garbage_units"] += 1
            note = f"garbage: {kind}, {len(body)} bytes, {'CRLF' if ending else 'no line end'}"
            return body + ending, note

    def result_delay(self):
        """Seconds to hold back the next final result code (0 for none)."""
        with self._lock:
            if self.delay_ms:
                self.counts["delayed_results"] += 1
            return self.delay_ms / 1000.0

    def prompt_lost(self):
        """lose-prompts: True if this prompt is lost (counts the switch down)."""
        with self._lock:
            if not self.lose_prompts:
                return False
            self.lose_prompts -= 1
            self.counts["lost_prompts"] += 1
            return True

    def command_seen(self):
        """Count a command; True if its response must be cut by a reboot.

        One-shot: after firing, the switch is disarmed until set again.
        """
        with self._lock:
            if not self.reboot_after_cmds:
                return False
            self._cmds_since_armed += 1
            if self._cmds_since_armed < self.reboot_after_cmds:
                return False
            self.reboot_after_cmds = 0
            self.counts["forced_reboots"] += 1
            return True
