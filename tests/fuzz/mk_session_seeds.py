#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_mqtt_session.c to tests/fuzz/corpus/mqtt_session/
(and of its small build, fuzz_mqtt_session_small.c, to .../mqtt_session_small/).

Each seed is a program in the harness's language (see step() there): a
header byte (bit 0 pull mode, bit 1 start the clock just before the 32-bit
wrap, bit 2 a transport flush callback), a clock byte, then steps. Run from the repository root."""
import os

POLL, CHUNK, CLOCK, TX, RX, CONNACK, SUBACK, ACK, PUB = 0, 3, 4, 5, 6, 7, 8, 9, 10
PUBREL, PINGRESP, GARBAGE, CONNECT, APUB, SUB, UNSUB, DISC, ABORT, ARM = range(12, 22)
PUBACK, PUBREC, PUBCOMP, UNSUBACK = 0, 1, 2, 3


def connect(clean=1, empty_id=0, ka=0):
    return [CONNECT, clean | (empty_id << 1) | (ka << 2)]


def connack(sp=0, rc=0):
    return [CONNACK, sp | (0xF0 | (rc << 1) if rc else 0)]


def apub(topic=1, qos=0, retain=0, plen=2):
    return [APUB, topic | (qos << 3) | (retain << 5), plen]


def bpub(qos, id_sel=0, dup=0, tlen=1, plen=2):
    s = [PUB, qos | (dup << 2), tlen | (plen << 3)]
    return s + ([id_sel] if qos else [])


def ack(kind, k=0):
    return [ACK, kind, k]


def seeds():
    up = connect() + [POLL] + connack() + [POLL]
    yield "qos_flows_pull", [5, 5] + up + [SUB, 1, 0b1001, POLL, SUBACK, 0, 0, 0, 1, POLL] \
        + apub(qos=1) + [POLL] + ack(PUBACK) + [POLL] + apub(qos=2) + [POLL] + ack(PUBREC) \
        + [POLL] + ack(PUBCOMP) + [POLL] + bpub(2, 0) + [POLL, PUBREL, 0, POLL] \
        + [UNSUB, 0, POLL] + ack(UNSUBACK) + [POLL, DISC, POLL]
    yield "qos_flows_push_bytewise", [0, 9] + connect() + [POLL] + connack() \
        + [CHUNK, 1, CHUNK, 1, CHUNK, 1, CHUNK, 1] + bpub(1, 1) + bpub(2, 2, plen=5) \
        + [CHUNK, 1] * 12 + [CHUNK, 0, PUBREL, 2, CHUNK, 0, DISC, POLL]
    yield "persistent_resend", [1, 0] + connect(clean=0, ka=2) + [POLL] + connack() + [POLL] \
        + apub(qos=2) + apub(qos=1, plen=4) + [POLL] + ack(PUBREC) + [POLL, RX, 6, POLL, RX, 0] \
        + connect(clean=0, ka=2) + [POLL] + connack(sp=1) + [POLL] + ack(PUBCOMP) \
        + ack(PUBACK) + [POLL, DISC, POLL]
    yield "keepalive_timeout", [3, 2] + connect(ka=1) + [POLL] + connack() + [POLL, CLOCK, 0x83, POLL,
                                                                          CLOCK, 0x86, POLL]
    yield "keepalive_answered", [1, 2] + connect(ka=1) + [POLL] + connack() + [POLL, CLOCK, 0x83, POLL,
                                                                         PINGRESP, POLL, CLOCK, 0x85,
                                                                         POLL, CLOCK, 0x86, POLL]
    yield "connect_timeout", [1, 3] + connect() + [POLL, CLOCK, 0x87, POLL]
    yield "qos2_duplicates", [1, 1] + connect(clean=0) + [POLL] + connack() + [POLL] \
        + bpub(2, 0) + bpub(2, 0, dup=1) + [POLL, POLL] + [PUBREL, 0] + bpub(2, 0) + [POLL, POLL] \
        + [TX, 5] + bpub(2, 3) + [POLL, TX, 0, POLL, ABORT, 0] + connect(clean=0) + [POLL] \
        + connack(sp=1) + bpub(2, 3, dup=1) + [POLL, POLL, PUBREL, 3, POLL]
    yield "qos2_table_full", [1, 4] + connect(clean=0) + [POLL] + connack() + [POLL] \
        + sum((bpub(2, i) for i in range(10)), []) + [POLL] * 60 \
        + connect(clean=0) + [POLL] + connack(sp=1) + sum(([PUBREL, i] for i in range(8)), []) \
        + bpub(2, 8, dup=1) + bpub(2, 9, dup=1) + [POLL] * 60
    yield "long_topics", [0, 6] + connect() + [POLL] + connack() + [CHUNK, 0] \
        + bpub(2, 0, tlen=5, plen=3) + bpub(1, 1, tlen=7, plen=7) + bpub(0, tlen=4, plen=6) \
        + [CHUNK, 0] * 6 + [PUBREL, 0, CHUNK, 0, DISC, POLL]
    yield "garbage_after_connack", [1, 7] + up + [GARBAGE, 3, 0x30, 0x05, 0x00, POLL]
    yield "callbacks", [1, 8] + connect() + [POLL] + connack() + [ARM, 0, 9, 2, POLL, POLL] \
        + ack(PUBACK) + [ARM, 1, 1, 2, POLL, POLL] + [SUBACK, 0, 0, 0, POLL] \
        + [ARM, 5, 0, 0] + bpub(0) + [POLL, ARM, 3, 0, 0] + bpub(0) + [POLL, ARM, 6, 0, 0] \
        + connack() + [POLL] + connect() + [POLL] + connack() + [ARM, 7, 0, 0, POLL, ARM, 4, 0, 0] \
        + bpub(1, 2) + [POLL]
    yield "transport_misbehaves", [1, 0] + connect() + [TX, 3 | (2 << 3), POLL, POLL, POLL, POLL] \
        + connack() + [RX, 3, POLL, POLL, POLL, POLL] + apub(topic=2, qos=1, plen=5) \
        + [POLL] * 8 + [TX, 7, POLL, TX, 0] + connect() + [POLL] + connack() + [RX, 7, POLL]
    yield "queue_full_and_errors", [1, 0] + up + apub(qos=1) + apub(qos=2) + apub(qos=1) \
        + apub(qos=0) + apub(qos=1) + apub(topic=3) + apub(topic=4) + [SUB, 3, 0] \
        + apub(qos=3) + [POLL] + ack(PUBACK, 1) + [POLL]


def main():
    # the same seeds for the default build and the small one
    for out in ("tests/fuzz/corpus/mqtt_session", "tests/fuzz/corpus/mqtt_session_small"):
        os.makedirs(out, exist_ok=True)
        for name, prog in seeds():
            with open(os.path.join(out, name), "wb") as f:
                f.write(bytes(prog))


if __name__ == "__main__":
    main()
