"""The ATECC608 emulator (sim/chips/atecc.py): bus behaviour, CRC, every emulated
command (signatures checked with `cryptography`), faults, and the socket
server that C programs use."""

import hashlib
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from sim.chips import atecc
from sim.chips.atecc import (OP_COUNTER, OP_ECDH, OP_GENKEY, OP_INFO, OP_NONCE, OP_RANDOM, OP_READ,
                       OP_SELFTEST, OP_SHA, OP_SIGN, OP_VERIFY, WAKE_FRAME, Atecc608, Host,
                       VirtualClock, crc16, packet, response, status_frame)

A = 0x60
DIGEST = hashlib.sha256(b"abc").digest()
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def chip(clock):
    return Atecc608(clock=clock)


@pytest.fixture
def host(chip, clock):
    return Host(chip, clock)


def verify_with_cryptography(pub_xy, digest, sig):
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + pub_xy)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    key.verify(der, digest, ec.ECDSA(Prehashed(hashes.SHA256())))


# -- wire format ---------------------------------------------------------------

def test_crc_and_packets_match_published_vectors():
    assert crc16(b"\x04\x11") == b"\x33\x43"
    assert packet(OP_INFO, 0, 0).hex() == "07300000000" "35d"
    assert packet(OP_READ, 0x82, 0x0140).hex() == "07028240010a27"
    assert packet(OP_NONCE, 0x43, 0, DIGEST)[-2:].hex() == "1469"
    assert status_frame(0x00).hex() == "04000340"
    assert status_frame(0xEE).hex() == "04ee3141"
    assert response(bytes.fromhex("00006002")).hex() == "07000060028038"


# -- bus behaviour ---------------------------------------------------------------

def test_asleep_chip_nacks_until_woken(chip, clock):
    assert chip.read(A, 4) is None
    assert chip.write(A, b"\x03" + packet(OP_INFO, 0, 0)) is False
    assert chip.write(0x00, b"\x01") is False          # the wake pulse is NACKed
    assert chip.read(A, 4) is None                     # not before tWHI
    clock.advance(1.5)
    assert chip.read(A, 4) == WAKE_FRAME
    assert chip.read(0x61, 4) is None                  # another address


def test_wake_while_awake_is_ignored(chip, clock, host):
    host.wake()
    host.send(packet(OP_INFO, 0, 0))
    rsp = host.receive()
    assert rsp == response(bytes.fromhex("00006002"))
    chip.write(0x00, b"\x01")                          # ignored: still awake
    assert chip.write(A, b"\x00")
    assert chip.read(A, 7) == rsp                      # the output is unchanged


def test_reads_continue_and_pad(chip, clock, host):
    assert host.wake() == WAKE_FRAME
    assert chip.read(A, 1) == b"\xff"                 # the pointer moved on
    assert chip.write(A, b"\x00")
    assert chip.read(A, 1) == b"\x04"
    assert chip.read(A, 3) == b"\x11\x33\x43"
    assert chip.read(A, 2) == b"\xff\xff"              # past the group
    assert chip.write(A, b"\x00")                      # word address 0: pointer reset
    assert chip.read(A, 4) == WAKE_FRAME


def test_busy_chip_nacks_then_answers(chip, clock, host):
    host.wake()
    host.send(packet(OP_GENKEY, 0, 0))
    assert chip.write(A, b"\x00") is False
    assert chip.read(A, 1) is None
    clock.advance(atecc.EXEC_MS[OP_GENKEY] - 1)
    assert chip.read(A, 1) is None
    clock.advance(1)
    head = chip.read(A, 1)
    assert head == b"\x43"
    assert chip.stats["nacks"] >= 3


def test_command_split_across_writes(chip, clock, host):
    host.wake()
    group = packet(OP_INFO, 0, 0)
    assert chip.write(A, b"\x03" + group[:3])
    assert chip.write(A, b"\x03" + group[3:] + b"\x99\x99")   # extra bytes ignored
    assert host.receive() == response(bytes.fromhex("00006002"))


def test_bad_crc_gives_ff_and_nothing_runs(chip, host):
    group = bytearray(packet(OP_COUNTER, 1, 0))
    group[-1] ^= 1
    host.wake()
    host.send(bytes(group))
    assert host.receive() == status_frame(0xFF)
    host.idle()
    assert chip.counters[0] == 0
    assert host.command(OP_COUNTER, 0, 0)[1] == bytes(4)


def test_idle_keeps_tempkey_sleep_clears_it(chip, host):
    assert host.command(OP_NONCE, 0x03, 0, DIGEST) == (0, b"")       # ends with idle
    status, sig = host.command(OP_SIGN, 0x80, 0)
    assert status is None and len(sig) == 64
    assert host.command(OP_NONCE, 0x03, 0, DIGEST, idle=False) == (0, b"")
    host.sleep()
    assert host.command(OP_SIGN, 0x80, 0) == (0x0F, b"")            # digest lost


def test_watchdog_puts_chip_to_sleep(chip, clock, host):
    host.command(OP_NONCE, 0x03, 0, DIGEST, idle=False)
    clock.advance(1300)
    assert chip.read(A, 4) is None                     # asleep on its own
    assert chip.stats["watchdog"] == 1
    assert host.command(OP_SIGN, 0x80, 0) == (0x0F, b"")            # TempKey lost


def test_command_near_watchdog_gets_ee(chip, clock, host):
    host.wake()
    clock.advance(1300 - atecc.EXEC_MS[OP_SIGN])     # 2 ms of wake + this: too late
    host.send(packet(OP_SIGN, 0x80, 0))
    assert host.receive() == status_frame(0xEE)


def test_long_watchdog_with_chipmode_bit2(chip, clock, host):
    chip.config[19] |= 0x04
    host.wake()
    clock.advance(5000)
    assert host.command(OP_INFO, wake=False)[1] == bytes.fromhex("00006002")


# -- commands ----------------------------------------------------------------------

def test_info_revision_and_keyvalid(chip, host):
    assert host.command(OP_INFO, 0, 0) == (None, bytes.fromhex("00006002"))
    assert host.command(OP_INFO, 1, 0)[1][0] == 1      # slot 0 holds a key
    assert host.command(OP_INFO, 1, 9)[1][0] == 0
    assert host.command(OP_INFO, 7, 0) == (0x03, b"")
    other = Atecc608(clock=VirtualClock(), revision=0x6003)
    assert Host(other, other.clock).command(OP_INFO)[1] == bytes.fromhex("00006003")


def test_read_config_serial_and_locks(chip, host):
    _, block0 = host.command(OP_READ, 0x80, 0)
    assert block0[0:4] + block0[8:13] == bytes.fromhex("0123d4df07023967ee")
    assert block0[4:8] == bytes.fromhex("00006002")
    assert host.command(OP_READ, 0x00, 0)[1] == bytes.fromhex("0123d4df")
    _, locks = host.command(OP_READ, 0x00, 0x15)       # bytes 84..87
    assert locks[2] == 0x00 and locks[3] == 0x00       # both zones locked
    _, block3 = host.command(OP_READ, 0x80, 0x18)
    assert block3[0:2] == bytes([0x33, 0x00])          # KeyConfig[0]: private P-256
    assert host.command(OP_READ, 0x80, 0x20) == (0x03, b"")        # past the zone
    assert host.command(OP_READ, 0x03, 0) == (0x03, b"")           # zone 3
    assert host.command(OP_READ, 0x04, 0) == (0x03, b"")           # reserved bit


def test_read_otp_and_data_slots(chip, host):
    assert host.command(OP_READ, 0x81, 0)[1].startswith(b"secmodem emulated OTP")
    _, b1 = host.command(OP_READ, 0x82, 0x0140)        # slot 8 block 1 (docs/atecc.md P-6)
    assert b1 == bytes(range(32))
    assert host.command(OP_READ, 0x02, 0x0140 | 3)[1] == bytes(range(12, 16))
    assert host.command(OP_READ, 0x82, 0x0000) == (0x0F, b"")      # slot 0 is secret
    assert host.command(OP_READ, 0x82, 0x0D40) == (0x03, b"")      # slot 8 has 13 blocks


def test_unlocked_chip(clock):
    chip = Atecc608(clock=clock, locked=False)
    host = Host(chip, clock)
    assert host.command(OP_RANDOM, 0, 0)[1] == b"\xff\xff\x00\x00" * 8
    assert host.command(OP_READ, 0x81, 0) == (0x0F, b"")           # OTP needs the lock
    assert host.command(OP_NONCE, 0x03, 0, DIGEST) == (0, b"")
    assert host.command(OP_SIGN, 0x80, 0) == (0x0F, b"")
    assert host.command(OP_GENKEY, 0, 0) == (0x0F, b"")


def test_random(host):
    _, a = host.command(OP_RANDOM, 0, 0)
    _, b = host.command(OP_RANDOM, 1, 0)
    assert len(a) == 32 and len(b) == 32 and a != b
    assert host.command(OP_RANDOM, 2, 0) == (0x03, b"")


def test_nonce_modes(chip, host):
    assert host.command(OP_NONCE, 0x43, 0, DIGEST) == (0, b"")
    assert chip.msgdigbuf.data == DIGEST and chip.msgdigbuf.external
    assert host.command(OP_NONCE, 0x23, 0, DIGEST * 2) == (0, b"")
    assert chip.tempkey.data == DIGEST * 2
    assert host.command(OP_NONCE, 0x03, 0, DIGEST[:20]) == (0x03, b"")
    assert host.command(OP_NONCE, 0x02, 0, bytes(20)) == (0x03, b"")
    assert host.command(OP_NONCE, 0xC3, 0, DIGEST) == (0x03, b"")
    num_in = bytes(range(20))
    status, rand = host.command(OP_NONCE, 0x00, 0, num_in)
    assert status is None and len(rand) == 32
    assert chip.tempkey.data == hashlib.sha256(rand + num_in + b"\x16\x00\x00").digest()
    assert not chip.tempkey.external


def test_genkey_public_and_private(chip, host):
    status, pub0 = host.command(OP_GENKEY, 0x00, 0)
    assert status is None and pub0 == chip.public_key(0)
    assert host.command(OP_GENKEY, 0x04, 0) == (0x0F, b"")         # slot 0 is permanent
    old = chip.public_key(2)
    status, new = host.command(OP_GENKEY, 0x04, 2)
    assert status is None and new != old and new == chip.public_key(2)
    assert host.command(OP_GENKEY, 0x00, 9) == (0x0F, b"")         # a data slot
    assert host.command(OP_GENKEY, 0x00, 16) == (0x03, b"")
    assert host.command(OP_GENKEY, 0x08, 0) == (0x03, b"")         # digest mode: not emulated


def test_fixed_keys_are_reproducible(clock):
    a, b = Atecc608(clock=clock), Atecc608(clock=clock)
    assert a.public_key(0) == b.public_key(0)
    c = Atecc608(clock=clock, fixed_keys=False)
    assert c.public_key(0) != a.public_key(0)


@pytest.mark.parametrize("nonce_mode, sign_mode", [(0x03, 0x80), (0x43, 0xA0)])
def test_sign_verifies_with_cryptography(chip, host, nonce_mode, sign_mode):
    digest = hashlib.sha256(b"TLS transcript").digest()
    assert host.command(OP_NONCE, nonce_mode, 0, digest) == (0, b"")
    status, sig = host.command(OP_SIGN, sign_mode, 0)
    assert status is None and len(sig) == 64
    verify_with_cryptography(chip.public_key(0), digest, sig)
    with pytest.raises(InvalidSignature):
        verify_with_cryptography(chip.public_key(0), DIGEST, sig)


def test_sign_refusals(chip, host):
    assert host.command(OP_SIGN, 0x80, 0) == (0x0F, b"")           # no message
    host.command(OP_NONCE, 0x03, 0, DIGEST)
    assert host.command(OP_SIGN, 0x80, 9) == (0x0F, b"")           # not a key slot
    assert host.command(OP_SIGN, 0x82, 0) == (0x03, b"")           # reserved bit
    assert host.command(OP_SIGN, 0x00, 0) == (0x0F, b"")           # internal: not emulated
    host.command(OP_SHA, 0x00, 0)
    host.command(OP_SHA, 0x02, 3, b"abc")              # an internal digest in TempKey
    assert host.command(OP_SIGN, 0x80, 0) == (0x0F, b"")           # not pass-through


def test_sign_consumes_digest_by_default(clock):
    for consume, expect in ((True, 0x0F), (False, None)):
        chip = Atecc608(clock=clock, consume_digest=consume)
        host = Host(chip, clock)
        host.command(OP_NONCE, 0x03, 0, DIGEST)
        assert host.command(OP_SIGN, 0x80, 0)[0] is None
        assert host.command(OP_SIGN, 0x80, 0)[0] == expect


def test_verify_external(chip, host):
    host.command(OP_NONCE, 0x03, 0, DIGEST)
    _, sig = host.command(OP_SIGN, 0x80, 1)
    pub = chip.public_key(1)
    host.command(OP_NONCE, 0x03, 0, DIGEST)
    assert host.command(OP_VERIFY, 0x02, 4, sig + pub) == (0x00, b"")
    host.command(OP_NONCE, 0x43, 0, DIGEST)
    assert host.command(OP_VERIFY, 0x22, 4, sig + pub) == (0x00, b"")
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert host.command(OP_VERIFY, 0x02, 4, bad + pub) == (0x01, b"")
    assert host.command(OP_VERIFY, 0x02, 4, bytes(64) + pub) == (0x01, b"")
    assert host.command(OP_VERIFY, 0x02, 4, sig + bytes(64)) == (0x0F, b"")   # not a point
    assert host.command(OP_VERIFY, 0x02, 0, sig + pub) == (0x03, b"")         # key type
    assert host.command(OP_VERIFY, 0x00, 0, sig) == (0x03, b"")               # stored mode


def test_sha(host):
    assert host.command(OP_SHA, 0x00, 0) == (0, b"")
    msg = bytes(range(64)) + b"tail"
    assert host.command(OP_SHA, 0x01, 64, msg[:64]) == (0, b"")
    assert host.command(OP_SHA, 0x02, 4, msg[64:]) == (None, hashlib.sha256(msg).digest())
    assert host.command(OP_SHA, 0x02, 0) == (0x0F, b"")            # context consumed
    assert host.command(OP_SHA, 0x00, 0) == (0, b"")
    assert host.command(OP_SHA, 0x01, 63, bytes(63)) == (0x03, b"")
    assert host.command(OP_SHA, 0xC2, 0) == (None, hashlib.sha256(b"").digest())


def test_ecdh_matches_cryptography(chip, host):
    peer = ec.generate_private_key(ec.SECP256R1())
    n = peer.public_key().public_numbers()
    peer_xy = n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")
    status, secret = host.command(OP_ECDH, 0x00, 0, peer_xy)
    assert status is None
    chip_pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + chip.public_key(0))
    assert secret == peer.exchange(ec.ECDH(), chip_pub)
    # the same secret from both sides of two chip slots
    _, s02 = host.command(OP_ECDH, 0x00, 0, chip.public_key(2))
    _, s20 = host.command(OP_ECDH, 0x00, 2, chip.public_key(0))
    assert s02 == s20
    assert host.command(OP_ECDH, 0x00, 9, peer_xy) == (0x0F, b"")
    assert host.command(OP_ECDH, 0x0C, 0, peer_xy) == (0x03, b"")


def test_counter(chip, host):
    assert host.command(OP_COUNTER, 0, 1) == (None, bytes(4))
    assert host.command(OP_COUNTER, 1, 1) == (None, (1).to_bytes(4, "little"))
    assert host.command(OP_COUNTER, 1, 1) == (None, (2).to_bytes(4, "little"))
    assert host.command(OP_COUNTER, 0, 0) == (None, bytes(4))
    chip.counters[0] = atecc.COUNTER_MAX
    assert host.command(OP_COUNTER, 1, 0) == (0x0F, b"")
    assert host.command(OP_COUNTER, 0, 2) == (0x03, b"")


def test_selftest(chip, host):
    assert host.command(OP_SELFTEST, 0x3D, 0) == (0x00, b"")
    chip.control("fault selftest 0x08")
    assert host.command(OP_SELFTEST, 0x3D, 0) == (0x08, b"")
    assert host.command(OP_SELFTEST, 0x00, 0) == (0x08, b"")       # mode 0: the failures
    assert host.command(OP_SELFTEST, 0x01, 0) == (0x00, b"")       # not among the tests run
    assert host.command(OP_SELFTEST, 0x40, 0) == (0x03, b"")
    assert host.command(OP_SELFTEST, 0x3B, 0) == (0x03, b"")       # reserved bit 1


def test_parse_errors(chip, host):
    assert host.command(0x12, 0, 0, bytes(4)) == (0x03, b"")       # Write: not emulated
    assert host.command(0x99, 0, 0) == (0x03, b"")                 # unknown opcode
    assert host.command(OP_INFO, 0, 0, b"x") == (0x03, b"")        # wrong length
    host.wake()
    host.send(bytes([5, 0x30, 0, 0, 0]))               # count below 7
    assert host.receive() == status_frame(0x03)


# -- faults ---------------------------------------------------------------------------

def test_fault_corrupt_crc(chip, host):
    chip.control("fault corrupt-crc 1")
    host.wake()
    host.send(packet(OP_INFO, 0, 0))
    rsp = host.receive()
    host.idle()
    assert crc16(rsp[:-2]) != rsp[-2:]
    assert host.command(OP_INFO)[1] == bytes.fromhex("00006002")  # only one


def test_fault_force_status_drop_slow(chip, clock, host):
    chip.control("fault status 05 2")
    assert host.command(OP_INFO) == (0x05, b"")
    assert host.command(OP_INFO) == (0x05, b"")
    assert host.command(OP_INFO)[0] is None
    chip.control("fault drop 1")
    assert host.command(OP_INFO) == (0x11, b"")        # the stale wake frame
    chip.control("fault slow 50")
    host.wake()
    host.send(packet(OP_INFO, 0, 0))
    clock.advance(40)
    assert chip.read(A, 1) is None
    assert host.receive() is not None
    chip.control("fault clear")
    assert chip.faults.settings()["slow_ms"] == 0


def test_fault_no_wake(chip, clock, host):
    chip.control("fault no-wake 1")
    assert host.wake() is None
    chip.control("fault no-wake 0")
    assert host.wake() == WAKE_FRAME


def test_fault_bad_sign(chip, host):
    chip.control("fault bad-sign 1")
    assert chip.faults.settings()["bad_sign"] == 1
    host.command(OP_NONCE, 0x03, 0, DIGEST)
    status, sig = host.command(OP_SIGN, 0x80, 0)
    assert status is None and len(sig) == 64            # looks like a signature ...
    with pytest.raises(InvalidSignature):               # ... but is none
        verify_with_cryptography(chip.public_key(0), DIGEST, sig)
    host.command(OP_NONCE, 0x03, 0, DIGEST)
    _, sig = host.command(OP_SIGN, 0x80, 0)             # only one was falsified
    verify_with_cryptography(chip.public_key(0), DIGEST, sig)


def test_control_errors(chip):
    with pytest.raises(ValueError):
        chip.control("fault nonsense")
    with pytest.raises(ValueError):
        chip.control("")
    assert "wakes=" in chip.control("stats")
    assert chip.control("power-cycle") == "ok"


def test_control_pubkey(chip, host):
    status, xy = host.command(OP_GENKEY, 0, 0)
    assert status is None and chip.control("pubkey 0") == xy.hex()
    for bad in ("pubkey 9", "pubkey x", "pubkey"):
        with pytest.raises(ValueError):
            chip.control(bad)


def test_history_records_golden_bytes(chip, host):
    host.command(OP_GENKEY, 0, 2)
    group, rsp = chip.history[-1]
    assert group.hex() == "07400002000685"             # docs/atecc.md P-8
    assert rsp[0] == 67


# -- the socket server ----------------------------------------------------------------

class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)

    def call(self, op, addr, payload=b"", length=None):
        n = len(payload) if length is None else length
        self.s.sendall(op + struct.pack("<BH", addr, n) + payload)
        head = self._recv(3)
        return head[:1], self._recv(struct.unpack("<H", head[1:])[0])

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            assert chunk
            buf += chunk
        return buf


def test_socket_server_end_to_end():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "atecc.sock")
        env = dict(os.environ, PYTHONPATH=REPO)
        proc = subprocess.Popen([sys.executable, "-m", "sim.chips.atecc", "--socket", path], cwd=REPO,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdout.readline().decode().strip() == f"ATECC608 READY {path}"
            c = Client(path)
            assert c.call(b"W", 0x00, b"\x01") == (b"N", b"")
            time.sleep(0.005)
            assert c.call(b"R", A, length=4) == (b"A", WAKE_FRAME)
            assert c.call(b"W", A, b"\x03" + packet(OP_INFO, 0, 0)) == (b"A", b"")
            time.sleep(0.01)
            assert c.call(b"W", A, b"\x00") == (b"A", b"")
            assert c.call(b"R", A, length=7) == (b"A", response(bytes.fromhex("00006002")))
            assert c.call(b"C", 0, b"fault no-wake 1") == (b"A", b"ok")
            assert c.call(b"C", 0, b"bogus")[0] == b"E"
            assert c.call(b"X", 0)[0] == b"E"
            assert c.call(b"R", 0x61, length=2) == (b"N", b"")
            c.s.close()
            c2 = Client(path)                          # a second client later
            assert c2.call(b"C", 0, b"stats")[1].startswith(b"wakes=1")
            c2.s.close()
        finally:
            proc.terminate()
            assert proc.wait(5) == 0
        assert not os.path.exists(path)
