"""ATECC608 emulator: the secure element behind a simulated I2C bus.

The chip model follows the ledger docs/atecc.md (rows A-1 to A-23): a config zone with
serial number, revision, slot and key configs and lock bytes; data slots
and OTP; real ECDSA P-256 keys (derived from fixed scalars by default, so
tests are reproducible); the chip's CRC-16 on every group in both
directions; status codes; execution times during which the chip NACKs its
address; the watchdog; wake, idle and sleep; and faults on demand.

Bus interface (in-process, e.g. pytest):

    clock = VirtualClock()
    chip = Atecc608(clock=clock)
    chip.write(0x00, b"\\x01")           # wake pulse (NACKed: returns False)
    clock.advance(2)
    chip.read(0x60, 4)                   # b"\\x04\\x11\\x33\\x43"
    chip.write(0x60, b"\\x03" + packet(0x30, 0, 0))   # Info
    host = Host(chip, clock)             # or let a tiny host driver do it all
    host.command(OP_INFO, 0, 0)          # -> (status_or_None, data)

Over a UNIX socket for C programs:  python3 -m sim.chips.atecc --socket PATH
prints "ATECC608 READY PATH" once it listens. Each request is a frame

    op (1 byte) | addr7 (1) | length (2, little-endian) | payload

op 'W' writes the payload to addr7, 'R' reads `length` bytes from addr7
(no payload), 'C' is a control command (payload: ASCII text, addr7
ignored). Each reply is

    result (1 byte: 'A' ack, 'N' nack, 'E' error) | length (2, LE) | bytes

(the bytes read for 'R', the answer text for 'C'). Control commands:
"fault corrupt-crc N", "fault status HH N", "fault drop N",
"fault no-wake 0|1", "fault slow MS", "fault selftest BITS",
"fault bad-sign N" (the next N Sign commands succeed with a signature that
does not verify: a chip gone wrong, or a digest damaged on the bus),
"fault clear", "power-cycle", "stats", "pubkey SLOT" (X || Y of a slot's
key in hex: what GenKey mode 0 returns, for test runners to compare),
"slot N" (a data slot's bytes in hex) and "slot N HEX" (overwrites its
first bytes: damaged chip data for a test).

With --provision DIR the chip is a pre-provisioned part, Trust&GO-style
(sim/chips/provision.py): slots 10, 11 and 12 hold the compressed device
certificate, the signer's public key and the compressed signer certificate,
from the test PKI in DIR.

Behaviours no source settles are options: Random on an unlocked chip
(docs/atecc.md A-22), whether Sign consumes its digest. Not emulated (answer 0x03, "parse
error", and logged): Write, Lock, MAC, CheckMac, GenDig, DeriveKey, KDF,
AES, SecureBoot, PrivWrite, UpdateExtra, internal Sign, stored Verify,
GenKey digest modes, ECDH modes other than 0, SHA HMAC/context modes.
"""

import argparse
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (Prehashed, decode_dss_signature,
                                                             encode_dss_signature)

# ---------------------------------------------------------------------------
# Wire format (docs/atecc.md)

OP_READ, OP_WRITE, OP_NONCE, OP_LOCK, OP_RANDOM = 0x02, 0x12, 0x16, 0x17, 0x1B
OP_COUNTER, OP_INFO, OP_GENKEY, OP_SIGN, OP_ECDH = 0x24, 0x30, 0x40, 0x41, 0x43
OP_VERIFY, OP_SHA, OP_SELFTEST = 0x45, 0x47, 0x77

ST_OK, ST_MISCOMPARE, ST_PARSE, ST_ECC, ST_SELFTEST = 0x00, 0x01, 0x03, 0x05, 0x07
ST_HEALTH, ST_EXEC, ST_WAKE, ST_WATCHDOG, ST_CRC = 0x08, 0x0F, 0x11, 0xEE, 0xFF

WA_RESET, WA_SLEEP, WA_IDLE, WA_COMMAND = 0x00, 0x01, 0x02, 0x03

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
COUNTER_MAX = 2097151
T_WHI_MS = 1.5          # wake pulse to first response (docs/atecc.md A-3)
SLOT_SIZES = [36] * 8 + [416] + [72] * 7   # docs/atecc.md A-23


def crc16(data):
    """The chip's CRC-16 (poly 0x8005, LSB-first input, low byte first)."""
    reg = 0
    for byte in data:
        for i in range(8):
            bit = (byte >> i) & 1
            top = reg >> 15
            reg = (reg << 1) & 0xFFFF
            if bit != top:
                reg ^= 0x8005
    return bytes([reg & 0xFF, reg >> 8])


def packet(opcode, param1, param2, data=b""):
    """A command group: count | opcode | param1 | param2 LE | data | CRC."""
    body = bytes([7 + len(data), opcode, param1, param2 & 0xFF, (param2 >> 8) & 0xFF]) + bytes(data)
    return body + crc16(body)


def response(data):
    """A response group: count | data | CRC."""
    body = bytes([3 + len(data)]) + bytes(data)
    return body + crc16(body)


def status_frame(status):
    return response(bytes([status]))


WAKE_FRAME = status_frame(ST_WAKE)      # 04 11 33 43


class CommandError(Exception):
    """Ends a command with a status byte."""

    def __init__(self, status, why=""):
        super().__init__(f"status 0x{status:02X} {why}".strip())
        self.status = status


# ---------------------------------------------------------------------------
# Time

class VirtualClock:
    """Milliseconds that only move when a test says so."""

    def __init__(self, start=0.0):
        self.ms = float(start)

    def __call__(self):
        return self.ms

    def advance(self, ms):
        self.ms += ms


def real_clock():
    return time.monotonic() * 1000.0


# ---------------------------------------------------------------------------
# Default provisioning (the map of docs/atecc.md A-13; the serial is an example value)

DEFAULT_SERIAL = bytes.fromhex("0123d4df07023967ee")
# SlotConfig: bit 0 external sign, 1 internal sign, 2 ECDH, 3 ECDH result to
# slot n+1, 7 IsSecret, bits 15..12 WriteConfig (here bit 13 = GenKey allowed).
PRIVATE_FIXED = 0x0087          # slot 0: permanent device key
PRIVATE_REGEN = 0x2087          # slots 1-4: keys GenKey may replace
DATA_CLEAR = 0x0000             # readable in the clear once the data zone is locked
KEY_P256_PRIVATE = 0x0033       # KeyConfig: Private, PubInfo, KeyType 4, Lockable
KEY_DATA = 0x003C               # KeyConfig: KeyType 7 (not a key), Lockable


def default_config(serial=DEFAULT_SERIAL, revision=0x00006002, locked=True):
    c = bytearray(128)
    c[0:4] = serial[0:4]
    c[4:8] = revision.to_bytes(4, "big")
    c[8:13] = serial[4:9]
    c[14] = 0x01                # I2C_Enable
    c[16] = 0xC0                # I2C_Address (8-bit form)
    c[19] = 0x00                # ChipMode: short watchdog, clock divider M0
    for slot in range(16):
        if slot == 0:
            sc, kc = PRIVATE_FIXED, KEY_P256_PRIVATE
        elif slot <= 4:
            sc, kc = PRIVATE_REGEN, KEY_P256_PRIVATE
        else:
            sc, kc = DATA_CLEAR, KEY_DATA
        c[20 + 2 * slot:22 + 2 * slot] = sc.to_bytes(2, "little")
        c[96 + 2 * slot:98 + 2 * slot] = kc.to_bytes(2, "little")
    c[86] = 0x00 if locked else 0x55   # LockValue (data + OTP)
    c[87] = 0x00 if locked else 0x55   # LockConfig
    c[88:90] = b"\xff\xff"             # SlotLocked: bit n = 1, slot n unlocked
    return c


def fixed_key(slot, generation=0):
    """A reproducible P-256 key per slot (and per GenKey generation)."""
    seed = f"secmodem atecc608 slot {slot} gen {generation}".encode()
    scalar = int.from_bytes(hashlib.sha256(seed).digest(), "big") % (P256_N - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def public_xy(key):
    numbers = key.public_key().public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def key_from_xy(xy):
    """A public key from X || Y, or None if not a point of the curve."""
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + bytes(xy))
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Faults (test hooks)

class Faults:
    def __init__(self):
        self.clear()

    def clear(self):
        self.corrupt_crc = 0      # responses to send with a broken CRC (-1: all)
        self.force_status = []    # statuses answered instead of the next commands
        self.drop = 0             # commands to ignore (the stale output stays)
        self.no_wake = False      # wake pulses do nothing
        self.slow_ms = 0.0        # extra execution time of every command
        self.selftest_bits = 0    # SelfTest failures to report
        self.bad_sign = 0         # Sign results to falsify (status OK, wrong r || s)

    def settings(self):
        return {"corrupt_crc": self.corrupt_crc, "force_status": list(self.force_status),
                "drop": self.drop, "no_wake": self.no_wake, "slow_ms": self.slow_ms,
                "selftest_bits": self.selftest_bits, "bad_sign": self.bad_sign}


# ---------------------------------------------------------------------------
# The chip

# Execution times used by the emulator (ms, well under the M0 maxima of
# docs/atecc.md A-18, so that a host that polls until the maximum always succeeds).
EXEC_MS = {OP_INFO: 1, OP_READ: 1, OP_RANDOM: 8, OP_NONCE: 4, OP_GENKEY: 40, OP_SIGN: 45,
           OP_VERIFY: 40, OP_ECDH: 30, OP_SHA: 2, OP_COUNTER: 6, OP_SELFTEST: 120}

NOT_EMULATED = {0x08: "MAC", 0x12: "Write", 0x15: "GenDig", 0x17: "Lock", 0x1C: "DeriveKey",
                0x20: "UpdateExtra", 0x28: "CheckMac", 0x46: "PrivWrite", 0x51: "AES",
                0x56: "KDF", 0x80: "SecureBoot"}


class Buffer:
    """TempKey, Message Digest Buffer, Alternate Key Buffer: data + flags."""

    def __init__(self):
        self.data = None          # bytes when valid
        self.external = False     # loaded by pass-through (Sign external needs it)

    def set(self, data, external):
        self.data, self.external = bytes(data), external

    def clear(self):
        self.data, self.external = None, False


class Atecc608:
    """One chip on the bus. All methods are thread-safe."""

    def __init__(self, clock=None, addr7=0x60, seed=0, fixed_keys=True, revision=0x00006002,
                 serial=DEFAULT_SERIAL, locked=True, watchdog_ms=1300.0, time_scale=1.0,
                 consume_digest=True, unlocked_random_pattern=True, log=None):
        self.clock = clock or real_clock
        self.addr7 = addr7
        self.fixed_keys = fixed_keys
        self.rng = random.Random(seed)
        self.revision = revision
        self.config = default_config(serial, revision, locked)
        self.otp = bytearray(b"secmodem emulated OTP zone".ljust(64, b"\x00"))
        self.slots = [bytearray(n) for n in SLOT_SIZES]
        self.slots[8][:32] = b"secmodem slot 8 data, block 0..."
        self.slots[8][32:64] = bytes(range(32))
        self.counters = [0, 0]
        self.watchdog_ms = watchdog_ms
        self.time_scale = time_scale
        self.consume_digest = consume_digest
        self.unlocked_random_pattern = unlocked_random_pattern
        self.faults = Faults()
        self.log = log
        self.lock = threading.RLock()
        self.keys = {}
        self.generation = {}
        for slot in range(16):
            if self._is_private(slot):
                self.keys[slot] = self._new_key(slot)
        self.stats = {"wakes": 0, "commands": 0, "crc_errors": 0, "nacks": 0, "watchdog": 0}
        self.history = []         # (command group, response group) for golden bytes
        self.power_cycle()

    # -- state ------------------------------------------------------------------

    def power_cycle(self):
        with self.lock:
            self.state = "sleep"
            self.busy_until = 0.0
            self.ready_at = 0.0
            self.wake_time = 0.0
            self.fifo = bytearray()
            self.output = b""
            self.pointer = 0
            self._clear_volatile()

    def _clear_volatile(self):
        self.tempkey, self.msgdigbuf, self.altkeybuf = Buffer(), Buffer(), Buffer()
        self.sha = None

    def _now(self):
        return float(self.clock())

    def _trace(self, text):
        if self.log:
            self.log(text)

    def _tick(self, now):
        """The watchdog: an awake chip goes to sleep on its own (docs/atecc.md A-6)."""
        if self.state == "awake" and now - self.wake_time >= self._watchdog_limit():
            self.state = "sleep"
            self._clear_volatile()
            self.stats["watchdog"] += 1
            self._trace("watchdog expired: asleep")

    def _watchdog_limit(self):
        """~1.3 s, or ~13 s with ChipMode bit 2 (docs/atecc.md A-6)."""
        return self.watchdog_ms * (10.0 if self.config[19] & 0x04 else 1.0)

    # -- config helpers ------------------------------------------------------------

    def slot_config(self, slot):
        return int.from_bytes(self.config[20 + 2 * slot:22 + 2 * slot], "little")

    def key_config(self, slot):
        return int.from_bytes(self.config[96 + 2 * slot:98 + 2 * slot], "little")

    def _is_private(self, slot):
        kc = self.key_config(slot)
        return bool(kc & 1) and (kc >> 2) & 7 == 4

    def config_locked(self):
        return self.config[87] != 0x55

    def data_locked(self):
        return self.config[86] != 0x55

    def _slot_locked(self, slot):
        return not (int.from_bytes(self.config[88:90], "little") >> slot) & 1

    def _new_key(self, slot):
        generation = self.generation.get(slot, -1) + 1
        self.generation[slot] = generation
        if self.fixed_keys:
            return fixed_key(slot, generation)
        return ec.generate_private_key(ec.SECP256R1())

    def _random(self, n):
        if self.fixed_keys:
            return bytes(self.rng.getrandbits(8) for _ in range(n))
        return os.urandom(n)

    def public_key(self, slot):
        """X || Y of a slot's key (test access)."""
        return public_xy(self.keys[slot])

    # -- the bus -------------------------------------------------------------------

    def write(self, addr7, data):
        """An I2C write; True if the chip ACKed it."""
        data = bytes(data)
        with self.lock:
            now = self._now()
            self._tick(now)
            if addr7 == 0x00:
                self._wake_pulse(now)
                return False            # nobody ACKs address 0 (docs/atecc.md A-3)
            if addr7 != self.addr7 or not self._listening(now) or not data:
                self.stats["nacks"] += 1
                return False
            word = data[0]
            if word == WA_RESET:
                self.pointer = 0
            elif word == WA_SLEEP:
                self.state = "sleep"
                self._clear_volatile()
            elif word == WA_IDLE:
                self.state = "idle"     # keeps TempKey and the buffers
            elif word == WA_COMMAND:
                self._feed(now, data[1:])
            return True

    def read(self, addr7, n):
        """An I2C read of n bytes; None when the chip NACKs its address."""
        with self.lock:
            now = self._now()
            self._tick(now)
            if addr7 != self.addr7 or not self._listening(now):
                self.stats["nacks"] += 1
                return None
            chunk = self.output[self.pointer:self.pointer + n]
            self.pointer += n
            return bytes(chunk) + b"\xff" * (n - len(chunk))

    def _listening(self, now):
        """Asleep, idle, just woken or busy: the chip NACKs (docs/atecc.md A-20)."""
        return self.state == "awake" and now >= self.ready_at and now >= self.busy_until

    def _wake_pulse(self, now):
        if self.faults.no_wake or self.state == "awake":
            return                      # a wake while awake is ignored
        if self.state == "sleep":
            self._clear_volatile()
        self.state = "awake"
        self.stats["wakes"] += 1
        self.wake_time = now
        self.ready_at = now + T_WHI_MS
        self.output, self.pointer = WAKE_FRAME, 0
        self.fifo.clear()

    def _feed(self, now, data):
        """The input FIFO: a group may come in pieces; count bytes are taken."""
        self.fifo += data
        if not self.fifo:
            return
        count = self.fifo[0]
        if count < 7 or count > 155:
            self.fifo.clear()
            self._respond(now, status_frame(ST_PARSE), 0.0)
            return
        if len(self.fifo) < count:
            return
        group = bytes(self.fifo[:count])
        self.fifo.clear()               # bytes after the group are ignored
        self._command(now, group)

    # -- command execution -------------------------------------------------------

    def _command(self, now, group):
        self.stats["commands"] += 1
        if self.faults.drop:
            self.faults.drop -= 1
            self._trace(f"dropped {group.hex()}")
            return                      # the output keeps what it had
        opcode = group[1]
        exec_ms = (EXEC_MS.get(opcode, 5) * self.time_scale) + self.faults.slow_ms
        if now + exec_ms > self.wake_time + self._watchdog_limit():
            rsp, exec_ms = status_frame(ST_WATCHDOG), 0.0
        elif self.faults.force_status:
            rsp = status_frame(self.faults.force_status.pop(0))
        else:
            rsp = self._execute(group)
        self.history.append((group, rsp))
        self._respond(now, rsp, exec_ms)

    def _respond(self, now, rsp, exec_ms):
        if self.faults.corrupt_crc:
            if self.faults.corrupt_crc > 0:
                self.faults.corrupt_crc -= 1
            rsp = rsp[:-1] + bytes([rsp[-1] ^ 0x5A])
        self.output, self.pointer = rsp, 0
        self.busy_until = now + exec_ms
        self._trace(f"response {rsp.hex()} after {exec_ms:.1f} ms")

    def _execute(self, group):
        """Checks in this order: CRC (first, docs/atecc.md A-9), parse, state, result."""
        if crc16(group[:-2]) != group[-2:]:
            self.stats["crc_errors"] += 1
            return status_frame(ST_CRC)
        opcode, p1, p2 = group[1], group[2], group[3] | group[4] << 8
        data = group[5:-2]
        handler = COMMANDS.get(opcode)
        try:
            if handler is None:
                name = NOT_EMULATED.get(opcode, "unknown opcode")
                raise CommandError(ST_PARSE, f"{name} 0x{opcode:02X} not emulated")
            result = handler(self, p1, p2, data)
        except CommandError as exc:
            self._trace(f"opcode 0x{opcode:02X}: {exc}")
            return status_frame(exc.status)
        return response(result) if result is not None else status_frame(ST_OK)

    # Each handler gets (param1, param2, data) and returns the response data,
    # None for a plain success, or raises CommandError.

    def _need(self, ok, status=ST_PARSE, why=""):
        if not ok:
            raise CommandError(status, why)

    def cmd_info(self, p1, p2, data):
        self._need(not data and p1 <= 4, why="Info mode")
        if p1 == 0:
            return self.revision.to_bytes(4, "big")
        if p1 == 1:                                   # KeyValid
            self._need(p2 <= 15, why="slot")
            return bytes([1 if p2 in self.keys else 0, 0, 0, 0])
        if p1 == 2:                                   # State: TempKey valid flag (inferred)
            return bytes([0x80 if self.tempkey.data else 0, 0, 0, 0])
        return bytes(4)

    def cmd_read(self, p1, p2, data):
        self._need(not data and not p1 & ~0x83 and p1 & 3 != 3, why="Read zone")
        zone, size = p1 & 3, 32 if p1 & 0x80 else 4
        word = p2 & 7
        if zone == 0:                                 # config: (block << 3) | word
            block = (p2 >> 3) & 0x1F
            offset = block * 32 + (0 if size == 32 else word * 4)
            self._need(offset + size <= 128, why="config address")
            return bytes(self.config[offset:offset + size])
        self._need(self.data_locked(), ST_EXEC, "data zone unlocked")
        if zone == 1:
            block = (p2 >> 3) & 0x1F
            offset = block * 32 + (0 if size == 32 else word * 4)
            self._need(offset + size <= 64, why="OTP address")
            return bytes(self.otp[offset:offset + size])
        slot, block = (p2 >> 3) & 0xF, p2 >> 8
        offset = block * 32 + (0 if size == 32 else word * 4)
        self._need(offset + size <= SLOT_SIZES[slot], why="slot address")
        sc = self.slot_config(slot)
        self._need(not sc & 0x80 and not sc & 0x40, ST_EXEC, "secret slot")
        return bytes(self.slots[slot][offset:offset + size])

    def cmd_random(self, p1, p2, data):
        self._need(not data and p1 <= 1, why="Random mode")
        if not self.config_locked() and self.unlocked_random_pattern:
            return b"\xff\xff\x00\x00" * 8          # docs/atecc.md A-22 (unknown)
        return self._random(32)

    def cmd_nonce(self, p1, p2, data):
        calc, target = p1 & 3, p1 & 0xC0
        self._need(not p1 & 0x1C and calc != 2 and target != 0xC0, why="Nonce mode")
        if calc == 3:                                 # pass-through
            self._need(len(data) == (64 if p1 & 0x20 else 32), why="Nonce length")
            buf = {0x00: self.tempkey, 0x40: self.msgdigbuf, 0x80: self.altkeybuf}[target]
            buf.set(data, external=True)
            return None
        self._need(len(data) == 20 and not p1 & 0x20 and target == 0 and p2 == 0,
                   why="Nonce random mode")
        rand = self._random(32)
        self.tempkey.set(hashlib.sha256(rand + data + bytes([OP_NONCE, p1, 0])).digest(), False)
        return rand

    def cmd_genkey(self, p1, p2, data):
        self._need(not data and p1 in (0x00, 0x04), why="GenKey mode (digest modes not emulated)")
        self._need(p2 <= 15, why="GenKey slot")
        self._need(self.config_locked(), ST_EXEC, "config zone unlocked")
        self._need(self._is_private(p2), ST_EXEC, "not a P-256 private key slot")
        if p1 == 0x04:
            may = not self.data_locked() or (self.slot_config(p2) >> 12) & 0x2
            self._need(may and not self._slot_locked(p2), ST_EXEC, "GenKey not allowed on slot")
            self.keys[p2] = self._new_key(p2)
        self._need(p2 in self.keys, ST_EXEC, "no key")
        return public_xy(self.keys[p2])

    def _message(self, from_msgdigbuf):
        buf = self.msgdigbuf if from_msgdigbuf else self.tempkey
        self._need(buf.data is not None and buf.external, ST_EXEC, "no external message loaded")
        return buf

    def cmd_sign(self, p1, p2, data):
        self._need(not data and not p1 & ~0xE1 and p2 <= 15, why="Sign mode")
        self._need(p1 & 0x80, ST_EXEC, "internal Sign not emulated")
        self._need(self.config_locked() and self.data_locked(), ST_EXEC, "zones unlocked")
        self._need(self._is_private(p2) and self.slot_config(p2) & 1 and p2 in self.keys,
                   ST_EXEC, "slot may not sign external messages")
        buf = self._message(p1 & 0x20)
        der = self.keys[p2].sign(buf.data[:32], ec.ECDSA(Prehashed(hashes.SHA256())))
        r, s = decode_dss_signature(der)
        if self.consume_digest:
            buf.clear()
        if self.faults.bad_sign:
            self.faults.bad_sign -= 1
            s = s % (P256_N - 1) + 1            # still in range, no longer valid
            self._trace("bad-sign fault: the signature will not verify")
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def cmd_verify(self, p1, p2, data):
        self._need(p1 & 7 == 2 and not p1 & 0xD8, why="Verify mode (only external emulated)")
        self._need(p2 == 0x0004 and len(data) == 128, why="Verify key type or length")
        buf = self._message(p1 & 0x20)
        key = key_from_xy(data[64:])
        self._need(key is not None, ST_EXEC, "public key not on the curve")
        r, s = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")
        if not (0 < r < P256_N and 0 < s < P256_N):
            raise CommandError(ST_MISCOMPARE, "r or s out of range")
        try:
            key.verify(encode_dss_signature(r, s), buf.data[:32], ec.ECDSA(Prehashed(hashes.SHA256())))
        except InvalidSignature:
            raise CommandError(ST_MISCOMPARE, "signature does not match") from None
        return None

    def cmd_sha(self, p1, p2, data):
        step, target = p1 & 7, p1 & 0xC0
        self._need(not p1 & 0x38 and target != 0x80, why="SHA mode")
        if step == 0:
            self._need(not data and p2 == 0, why="SHA start")
            self.sha = hashlib.sha256()
            return None
        self._need(step in (1, 2), why="SHA mode not emulated")
        self._need(p2 == len(data) and (len(data) == 64 if step == 1 else len(data) < 64),
                   why="SHA length")
        self._need(self.sha is not None, ST_EXEC, "SHA not started")
        self.sha.update(data)
        if step == 1:
            return None
        digest = self.sha.digest()
        self.sha = None
        if target == 0x00:
            self.tempkey.set(digest, external=False)
        elif target == 0x40:
            self.msgdigbuf.set(digest, external=False)
        return digest

    def cmd_ecdh(self, p1, p2, data):
        self._need(p1 == 0 and p2 <= 15 and len(data) == 64, why="ECDH mode (only 0 emulated)")
        self._need(self.config_locked() and self.data_locked(), ST_EXEC, "zones unlocked")
        self._need(self._is_private(p2) and self.slot_config(p2) & 4 and p2 in self.keys,
                   ST_EXEC, "slot may not do ECDH")
        peer = key_from_xy(data)
        self._need(peer is not None, ST_EXEC, "peer key not on the curve")
        secret = self.keys[p2].exchange(ec.ECDH(), peer)
        if self.slot_config(p2) & 8:                 # result goes to slot n+1
            self._need(p2 < 15, ST_EXEC, "no slot n+1")
            self.slots[p2 + 1][:32] = secret
            return None
        return secret

    def cmd_counter(self, p1, p2, data):
        self._need(not data and p1 <= 1 and p2 <= 1, why="Counter mode")
        if p1 == 1:
            self._need(self.counters[p2] < COUNTER_MAX, ST_EXEC, "counter at its limit")
            self.counters[p2] += 1
        return self.counters[p2].to_bytes(4, "little")

    def cmd_selftest(self, p1, p2, data):
        # mode b0 RNG, b2 ECDSA, b3 ECDH, b4 AES, b5 SHA; b1, b7..6 reserved
        # (datasheet); a reserved bit set is taken as a parse error (inferred)
        self._need(not data and not p1 & ~0x3D and p2 == 0, why="SelfTest mode")
        tests = p1 or 0x3D
        return bytes([self.faults.selftest_bits & tests])

    # -- control (socket 'C' frames and tests) -------------------------------------

    def control(self, text):
        """Runs a control command; returns the answer text or raises ValueError."""
        words = text.split()
        if not words:
            raise ValueError("empty control command")
        with self.lock:
            if words[0] == "fault":
                return self._control_fault(words[1:])
            if words == ["power-cycle"]:
                self.power_cycle()
                return "ok"
            if words == ["stats"]:
                return " ".join(f"{k}={v}" for k, v in self.stats.items())
            if len(words) == 2 and words[0] == "pubkey":
                slot = int(words[1], 0) if words[1].isdigit() else -1
                if slot not in self.keys:
                    raise ValueError(f"no key in slot {words[1]!r}")
                return self.public_key(slot).hex()
            if len(words) in (2, 3) and words[0] == "slot":
                return self._control_slot(words[1:])
        raise ValueError(f"unknown control command {text!r}")

    def _control_slot(self, args):
        """"slot N" reads a data slot (hex); "slot N HEX" overwrites its first
        bytes: a test's way to give the host damaged chip data."""
        slot = int(args[0]) if args[0].isdigit() else -1
        if not 0 <= slot <= 15:
            raise ValueError(f"no slot {args[0]!r}")
        if len(args) == 2:
            try:
                data = bytes.fromhex(args[1])
            except ValueError:
                raise ValueError("slot data: hex digits") from None
            if len(data) > SLOT_SIZES[slot]:
                raise ValueError(f"slot {slot} holds {SLOT_SIZES[slot]} bytes")
            self.slots[slot][:len(data)] = data
            return "ok"
        return bytes(self.slots[slot]).hex()

    def _control_fault(self, args):
        f = self.faults
        if args == ["clear"]:
            f.clear()
        elif len(args) == 2 and args[0] == "corrupt-crc":
            f.corrupt_crc = int(args[1])
        elif len(args) == 3 and args[0] == "status":
            f.force_status = [int(args[1], 16)] * int(args[2])
        elif len(args) == 2 and args[0] == "drop":
            f.drop = int(args[1])
        elif len(args) == 2 and args[0] == "no-wake":
            f.no_wake = args[1] not in ("0", "off")
        elif len(args) == 2 and args[0] == "slow":
            f.slow_ms = float(args[1])
        elif len(args) == 2 and args[0] == "selftest":
            f.selftest_bits = int(args[1], 0)
        elif len(args) == 2 and args[0] == "bad-sign":
            f.bad_sign = int(args[1])
        else:
            raise ValueError(f"bad fault {' '.join(args)!r}")
        return "ok"


# The command table: opcode -> handler, in the order of the datasheet's list.
COMMANDS = {
    OP_COUNTER: Atecc608.cmd_counter,
    OP_ECDH: Atecc608.cmd_ecdh,
    OP_GENKEY: Atecc608.cmd_genkey,
    OP_INFO: Atecc608.cmd_info,
    OP_NONCE: Atecc608.cmd_nonce,
    OP_RANDOM: Atecc608.cmd_random,
    OP_READ: Atecc608.cmd_read,
    OP_SELFTEST: Atecc608.cmd_selftest,
    OP_SHA: Atecc608.cmd_sha,
    OP_SIGN: Atecc608.cmd_sign,
    OP_VERIFY: Atecc608.cmd_verify,
}


# ---------------------------------------------------------------------------
# A minimal host driver, for tests in Python (the C library is the real one)

class Host:
    """Wakes, sends, polls (advancing a VirtualClock) and idles."""

    def __init__(self, bus, clock, addr7=0x60):
        self.bus, self.clock, self.addr7 = bus, clock, addr7

    def wake(self):
        self.bus.write(0x00, b"\x01")
        self.clock.advance(2)
        return self.bus.read(self.addr7, 4)

    def send(self, group):
        return self.bus.write(self.addr7, b"\x03" + group)

    def receive(self, limit_ms=300, step_ms=1):
        """Polls until the response comes or limit_ms pass; None on timeout."""
        waited = 0
        while waited <= limit_ms:
            if self.bus.write(self.addr7, b"\x00"):
                head = self.bus.read(self.addr7, 1)
                if head is not None and 4 <= head[0] <= 75:
                    rest = self.bus.read(self.addr7, head[0] - 1)
                    if rest is not None:
                        return head + rest
            self.clock.advance(step_ms)
            waited += step_ms
        return None

    def idle(self):
        return self.bus.write(self.addr7, b"\x02")

    def sleep(self):
        return self.bus.write(self.addr7, b"\x01")

    def command(self, opcode, p1=0, p2=0, data=b"", wake=True, idle=True):
        """(status or None, data): status for a 4-byte group, else its data."""
        if wake:
            assert self.wake() == WAKE_FRAME
        assert self.send(packet(opcode, p1, p2, data))
        rsp = self.receive()
        if idle:
            self.idle()
        assert rsp is not None, "no response"
        assert crc16(rsp[:-2]) == rsp[-2:], f"bad response CRC {rsp.hex()}"
        if rsp[0] == 4:
            return rsp[1], b""
        return None, rsp[1:-2]


# ---------------------------------------------------------------------------
# The socket server

def _recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def serve_connection(chip, conn):
    """Answers frames until the client hangs up."""
    with conn:
        while True:
            try:
                op, addr7, length = struct.unpack("<cBH", _recv_exact(conn, 4))
                if op == b"R":
                    data = chip.read(addr7, length)
                    reply = (b"N", b"") if data is None else (b"A", data)
                elif op == b"W":
                    acked = chip.write(addr7, _recv_exact(conn, length))
                    reply = (b"A" if acked else b"N", b"")
                elif op == b"C":
                    text = _recv_exact(conn, length).decode("ascii", "replace")
                    try:
                        reply = (b"A", chip.control(text).encode())
                    except ValueError as exc:
                        reply = (b"E", str(exc).encode())
                else:
                    reply = (b"E", b"unknown op")
                conn.sendall(reply[0] + struct.pack("<H", len(reply[1])) + reply[1])
            except (EOFError, ConnectionError):
                return


def serve(chip, path, ready=None, stop=None):
    """Listens on a UNIX socket; one thread per client."""
    if os.path.exists(path) or os.path.islink(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    server.settimeout(0.1)
    if ready:
        ready()
    try:
        while not (stop and stop()):
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            conn.settimeout(None)
            threading.Thread(target=serve_connection, args=(chip, conn), daemon=True).start()
    finally:
        server.close()
        try:
            os.unlink(path)
        except OSError:
            pass


def build_parser():
    p = argparse.ArgumentParser(prog="python3 -m sim.chips.atecc", description="ATECC608 emulator")
    p.add_argument("--socket", required=True, metavar="PATH", help="UNIX socket to serve on")
    p.add_argument("--addr", type=lambda t: int(t, 0), default=0x60, help="7-bit address (0x60)")
    p.add_argument("--seed", type=int, default=0, help="RNG seed for fixed-key mode")
    p.add_argument("--random-keys", action="store_true", help="fresh random keys (default: fixed)")
    p.add_argument("--revision", type=lambda t: int(t, 16), default=0x6002,
                   help="Info revision in hex (6002 = 608A)")
    p.add_argument("--unlocked", action="store_true", help="config and data zones unlocked")
    p.add_argument("--watchdog-ms", type=float, default=1300.0)
    p.add_argument("--time-scale", type=float, default=1.0, help="multiplies execution times")
    p.add_argument("--trace", action="store_true", help="log commands to stderr")
    p.add_argument("--provision", metavar="DIR",
                   help="a Trust&GO-style part: compressed device certificate (slot 10, for the "
                        "slot-0 key), signer key (11) and compressed signer certificate (12) "
                        "from the test PKI in DIR (python3 -m sim.chips.provision DIR makes one)")
    return p


def main(argv=None):
    import signal

    args = build_parser().parse_args(argv)
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    log = (lambda text: print(f"atecc: {text}", file=sys.stderr, flush=True)) if args.trace else None
    chip = Atecc608(addr7=args.addr, seed=args.seed, fixed_keys=not args.random_keys,
                    revision=args.revision, locked=not args.unlocked,
                    watchdog_ms=args.watchdog_ms, time_scale=args.time_scale, log=log)
    if args.provision:
        from .provision import provision
        provision(chip, args.provision)
    serve(chip, args.socket, ready=lambda: print(f"ATECC608 READY {args.socket}", flush=True),
          stop=lambda: bool(stop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
