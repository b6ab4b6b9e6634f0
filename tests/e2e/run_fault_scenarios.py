#!/usr/bin/env python3
"""Fault scenarios, one fault at a time, each with what the library must
report for it (issue 8).

    run_fault_scenarios.py <binary> [NAME ...] [--verbose]

<binary> is build/soak_publisher (tests/e2e/soak_publisher.c), the reliable QoS 1
publisher on the Sequans dialect. For each scenario a fresh simulator
(python3 -m sim --dialect sequans) and the publisher are started against the
test bed's persistent mutual-TLS broker, with a probe subscribed on the
broker side. Once the publisher has had 5 messages acknowledged, the
scenario injects its fault at a known moment, then checks:

  * what the library reported, from the publisher's OPFAIL / EVENT /
    RECOVER lines and the engine counters of its SOAK COUNTERS line (e.g. a
    reboot in a command ends that command with SM_ERR_REBOOT and at=REBOOT,
    a delayed answer with SM_ERR_TIMEOUT and the late answer counted stale,
    over-long lines counted overlong; never a status the fault cannot
    explain);
  * that nothing hung: the publisher ended by itself, every operation ended
    within its bound (no HANG line; the publisher checks each one);
  * that it recovered: every message acknowledged, and the probe received
    every sequence number (0 lost), and nothing else on the topic (no NUL
    filler, partial payload or command line: issue 16 item 10).

Scenarios: lost-bytes, corrupted-bytes, garbage-and-overlong,
delayed-past-timeouts, silent-modem, reboot-mid-command, reboot-mid-transfer,
tls-closed-by-broker, link-dropped, broker-restarted, prompt-lost.

The faults of the ATECC608 side (I2C CRC errors, a chip that does not wake,
error statuses, a lost command, a chip slower than its maximum time) are
checked live by tests/e2e/test_atecc_live.c (test_faults, run by
run_atecc_live.py), NACKs while the chip is busy by the same program and,
with exact counts, by tests/unit/atecc/test_atecc.c (test_busy_nacks_then_success,
test_send_nack_rewakes).

Prints one line per check and "fault scenarios: N passed, N failed" last.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib as S  # noqa: E402

COUNT = 40
DEADLINE_S = 60
# statuses that faults on the serial line can explain; a reboot cannot
# come from them (only the modem's +SYSSTART says so)
LINE_STATUSES = {"timeout", "parse", "modem"}


def statuses(pub):
    return {part.split("=", 1)[1] for line in pub.grep(r"^OPFAIL ")
            for part in line.split() if part.startswith("status=")}


def opfails(pub, **want):
    """OPFAIL lines whose fields match want (e.g. status="reboot")."""
    out = []
    for line in pub.grep(r"^OPFAIL "):
        fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
        if all(fields.get(k) == v for k, v in want.items()):
            out.append(line)
    return out


# ---- the scenarios: inject, then return a function that checks ------------
# Each gets (ctl, bed, pub) and returns [(ok, what)] checked after the end.

def lost_bytes(ctl, bed, pub):
    """Half the modem's bytes lost for a second: answers never complete."""
    ctl.fault("drop-rate", 0.5)
    time.sleep(1.0)
    ctl.fault("drop-rate", 0)

    def check(c):
        st = statuses(pub)
        return [(opfails(pub, status="timeout"), "an operation ended with SM_ERR_TIMEOUT (at=TIMEOUT)"),
                (c["at_timeouts"] > 0, f"engine counted {c['at_timeouts']} timeouts"),
                (st <= LINE_STATUSES, f"only line-fault statuses reported: {sorted(st)}"),
                (c["restarts"] == 1, "no restart invented (only the power-on +SYSSTART)")]
    return check


def corrupted_bytes(ctl, bed, pub):
    """30 % of the bytes changed for a second."""
    ctl.fault("corrupt-rate", 0.3)
    time.sleep(1.0)
    ctl.fault("corrupt-rate", 0)

    def check(c):
        st = statuses(pub)
        # a damaged line is never taken for a good one: it is a line nobody
        # claims (UNHANDLED, unexpected), a stale one, a parse error, or a
        # final result not recognised (timeout); only a digit turned into
        # another digit could pass, which no AT checksum would catch
        parse = len(opfails(pub, status="parse"))
        noticed = c["unhandled"] + c["at_unexpected"] + c["at_stale"] + c["at_timeouts"] + parse
        return [(noticed > 0, f"the damage was reported: {c['unhandled']} UNHANDLED, "
                              f"{c['at_unexpected']} unexpected, {c['at_stale']} stale, "
                              f"{c['at_timeouts']} timeouts, {parse} parse errors"),
                (st <= LINE_STATUSES, f"only line-fault statuses reported: {sorted(st)}"),
                (c["restarts"] == 1, "no restart invented")]
    return check


def garbage_and_overlong(ctl, bed, pub):
    """A garbage unit before every output unit for a second: junk lines,
    NUL bytes, 3000-byte lines, some without a line end."""
    ctl.fault("garbage-rate", 1.0)
    time.sleep(1.0)
    ctl.fault("garbage-rate", 0)

    def check(c):
        st = statuses(pub)
        return [(c["at_overlong"] > 0, f"over-long lines dropped and counted: {c['at_overlong']}"),
                (c["at_nul"] > 0, f"NUL bytes dropped and counted: {c['at_nul']}"),
                (c["unhandled"] > 0, f"junk lines reported as UNHANDLED events: {c['unhandled']}"),
                (st <= LINE_STATUSES, f"only line-fault statuses reported: {sorted(st)}"),
                (c["restarts"] == 1, "no restart invented")]
    return check


def delayed_past_timeouts(ctl, bed, pub):
    """Every final result held back 3 s (the publisher's command timeouts
    are 2 s) for 2.5 s: commands time out, their answers come late."""
    ctl.fault("delay-ms", 3000)
    time.sleep(2.5)
    ctl.fault("delay-ms", 0)

    def check(c):
        st = statuses(pub)
        return [(opfails(pub, status="timeout", at="TIMEOUT"), "an operation ended with SM_ERR_TIMEOUT"),
                (c["at_stale"] > 0, f"late answers dropped as stale, never taken for the next "
                                    f"command: {c['at_stale']}"),
                (st <= LINE_STATUSES, f"only line-fault statuses reported: {sorted(st)}"),
                (c["rec_timeout"] > 0, f"recovered from timeouts: {c['rec_timeout']}")]
    return check


def silent_modem(ctl, bed, pub):
    """The modem says nothing at all for 5 s (every byte lost): every
    operation ends by its timeout, recovery after recovery, until it talks."""
    ctl.fault("drop-rate", 1.0)
    time.sleep(5.0)
    ctl.fault("drop-rate", 0)

    def check(c):
        st = statuses(pub)
        return [(len(opfails(pub, status="timeout")) >= 2, f"operations ended by their timeouts: "
                                                           f"{len(opfails(pub, status='timeout'))}"),
                (st <= LINE_STATUSES, f"only line-fault statuses reported: {sorted(st)}"),
                (c["longest_op_ms"] < 20000, f"longest operation {c['longest_op_ms']} ms")]
    return check


def reboot_mid_command(ctl, bed, pub):
    """The modem reboots halfway through the answer of the next command."""
    before = ctl.stats()["faults"]["forced_reboots"]
    ctl.fault("reboot-after-cmds", 1)
    deadline = time.monotonic() + 5
    while ctl.stats()["faults"]["forced_reboots"] == before and time.monotonic() < deadline:
        time.sleep(0.01)
    ctl.fault("reboot-after-cmds", 0)

    def check(c):
        return [(opfails(pub, status="reboot", at="REBOOT"),
                 "the command in flight ended with SM_ERR_REBOOT (at=REBOOT)"),
                (pub.grep(r"^EVENT RESTARTED count=2"), "RESTARTED event"),
                (pub.grep(r"^RECOVER cause=restart .*next=bringup"), "recovery: bring-up again"),
                (c["restarts"] == 2 and c["at_reboots"] == 2, f"restarts {c['restarts']}, "
                                                             f"engine reboots {c['at_reboots']}")]
    return check


def reboot_mid_transfer(ctl, bed, pub):
    """A reboot while a publish is on the wire: its payload taken, its
    result held back."""
    ctl.fault("delay-ms", 1500)
    cmd = ""
    deadline = time.monotonic() + 5
    while not cmd.startswith("AT+SQNSMQTTPUBLISH=") and time.monotonic() < deadline:
        cmd = ctl.last_command()
        time.sleep(0.005)
    time.sleep(0.3)
    ctl("reboot")
    ctl.fault("delay-ms", 0)

    def check(c):
        return [(cmd.startswith("AT+SQNSMQTTPUBLISH="), f"a publish was on the wire: {cmd[:40]!r}"),
                (opfails(pub, op="MQTT_PUBLISH", status="reboot", at="REBOOT"),
                 "the publish ended with SM_ERR_REBOOT"),
                (pub.grep(r"^EVENT RESTARTED count=2"), "RESTARTED event"),
                (c["restarts"] == 2, f"restarts {c['restarts']}")]
    return check


def drop_seen(pub):
    """How the publisher learns that the broker connection is gone: the
    modem's +SQNSMQTTONDISCONNECT (simulator --option disconnect-urc=on), or,
    as a GM02SP on LR8.2.1.0 does it (no URC at all, docs/sequans.md), its
    next publish refused with +CME ERROR: 3."""
    return bool(pub.grep(r"^EVENT MQTT_DISCONNECTED rc=-7") or
                pub.grep(r"^OPFAIL op=MQTT_PUBLISH status=modem at=CME_ERROR cme=3"))


def tls_closed_by_broker(ctl, bed, pub):
    """The broker closes the modem's TLS connection (session takeover)."""
    kicked = bed.broker.kick(S.CLIENT_ID)

    def check(c):
        # the URC may come second: a publish already on its way is refused
        # (+CME ERROR: 3) before +SQNSMQTTONDISCONNECT leaves the modem
        return [(kicked, "the broker took the session over"),
                (drop_seen(pub), "the drop noticed: MQTT_DISCONNECTED rc -7, or (a GM02SP reports no "
                                  "drop) the next publish refused with +CME ERROR: 3"),
                (pub.grep(r"^RECOVER cause=(disconnect|error)"), "recovery: reconnect"),
                (set(statuses(pub)) <= {"modem"}, f"statuses: {sorted(statuses(pub))} (at most a "
                                                   f"publish refused with +CME ERROR)"),
                (c["connects"] >= 2 and c["restarts"] == 1, f"{c['connects']} connections, no restart")]
    return check


def link_dropped(ctl, bed, pub):
    """The network drops the MQTT connection (simulator control "drop")."""
    dropped = ctl("drop", what="mqtt")["dropped"]

    def check(c):
        return [(dropped == ["mqtt"], f"dropped {dropped}"),
                (drop_seen(pub), "the drop noticed: MQTT_DISCONNECTED rc -7, or (a GM02SP reports no "
                                  "drop) the next publish refused with +CME ERROR: 3"),
                (set(statuses(pub)) <= {"modem"}, f"statuses: {sorted(statuses(pub))}"),
                (c["connects"] >= 2 and c["restarts"] == 1, f"{c['connects']} connections, no restart")]
    return check


def broker_restarted(ctl, bed, pub):
    """mosquitto stopped for 2 s, then started on the same port."""
    port = bed.broker.port
    bed.broker.restart(down_s=2.0)

    def check(c):
        return [(bed.broker.port == port and bed.broker.running, "broker back on the same port"),
                (drop_seen(pub), "the drop noticed: MQTT_DISCONNECTED rc -7, or (a GM02SP reports no "
                                  "drop) the next publish refused with +CME ERROR: 3"),
                # refused while down (rc -4), then connected; or, when the
                # drop was noticed late (a GM02SP reports none: the next
                # publish is refused), the reconnect already met the broker up
                ((pub.grep(r"^EVENT MQTT_CONNECTED rc=-4") and c["rec_connect"] >= 1) or
                 not pub.grep(r"^EVENT MQTT_DISCONNECTED"),
                 "a connect while the broker was down refused (rc -4), unless the drop was only "
                 "noticed by a refused publish"),
                (c["connects"] >= 2,
                 f"connects refused {c['rec_connect']} times, then connected ({c['connects']} in all)")]
    return check


def prompt_lost(ctl, bed, pub):
    """The "> " of the next publish never arrives while the modem counts its
    bytes (lose-prompts 1): the publish times out and its real payload meets
    the count; the modem publishes that, never filler or the next command."""
    before = ctl.stats()["faults"]["lost_prompts"]
    ctl.fault("lose-prompts", 1)
    deadline = time.monotonic() + 5.0
    while ctl.stats()["faults"]["lost_prompts"] == before and time.monotonic() < deadline:
        time.sleep(0.01)
    cmd = ctl.last_command()
    ctl.fault("lose-prompts", 0)

    def check(c):
        return [(cmd.startswith("AT+SQNSMQTTPUBLISH="), f"the lost prompt was a publish's ({cmd[:30]!r})"),
                (opfails(pub, status="timeout"), "that publish ended with SM_ERR_TIMEOUT"),
                (c["at_replayed"] > 0 and c["at_filler"] == 0,
                 f"the count was met with its real bytes ({c['at_replayed']} replayed, "
                 f"{c['at_filler']} filler)"),
                (c["restarts"] == 1, "no restart invented")]
    return check


SCENARIOS = [
    ("lost-bytes", lost_bytes),
    ("corrupted-bytes", corrupted_bytes),
    ("garbage-and-overlong", garbage_and_overlong),
    ("delayed-past-timeouts", delayed_past_timeouts),
    ("silent-modem", silent_modem),
    ("reboot-mid-command", reboot_mid_command),
    ("reboot-mid-transfer", reboot_mid_transfer),
    ("tls-closed-by-broker", tls_closed_by_broker),
    ("link-dropped", link_dropped),
    ("broker-restarted", broker_restarted),
    ("prompt-lost", prompt_lost),
]


def run_scenario(binary, bed, name, inject, seed, tally, verbose):
    topic = f"{S.TOPIC_ROOT}/scenario-{name}"
    print(f"--- scenario {name}: {inject.__doc__.split(chr(10))[0]}", flush=True)
    t0 = time.monotonic()
    sim = S.start_sim(seed)
    checks = []
    try:
        ctl = S.Control(sim)
        pub = S.Publisher(binary, sim, bed, COUNT, topic, interval_ms=40, deadline_s=DEADLINE_S,
                          progress_every=1, echo=verbose)
        started = pub.wait_acked(5, 20)
        checks.append((started, "publishing before the fault (5 acknowledged)"))
        check = inject(ctl, bed, pub) if started else (lambda c: [])
        rc, ended = pub.finish(DEADLINE_S + 15)
        ctl.clear()
    finally:
        sim.stop()
        if not bed.broker.running:
            bed.broker.resume()
    c = pub.counters()
    delivery = S.wait_delivery(bed.probe, topic, COUNT, 15)
    checks.append((ended, f"the publisher ended by itself ({pub.elapsed:.1f} s)"))
    checks.append((rc == 0, f"the publisher reports: {pub.result()}"))
    checks.append((c.get("hangs", 1) == 0 and not pub.grep(r"^HANG "),
                   "every operation ended within its bound (no HANG)"))
    checks.append((not delivery.lost, f"probe: {delivery.summary()}"))
    checks.append((not delivery.alien, "nothing but the messages reached the topic "
                   f"({len(delivery.alien)} foreign, {len(delivery.filler)} of them NUL filler)"))
    if c:
        checks.extend(check(c))
    failed = 0
    for ok, what in checks:
        failed += not tally.check(bool(ok), f"{name}: {what}")
    if failed and not verbose:
        print("  publisher output:")
        for line in pub.lines:
            if "UNHANDLED" not in line:
                print(f"  | {line}")
    print(f"--- scenario {name}: {'ok' if not failed else 'FAILED'} ({time.monotonic() - t0:.1f} s)",
          flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary")
    p.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--seed", type=int, default=8)
    args = p.parse_args()
    binary = os.path.join(S.ROOT, args.binary)
    known = dict(SCENARIOS)
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"unknown scenarios {unknown}; known: {', '.join(known)}")
        return 2
    chosen = [(n, f) for n, f in SCENARIOS if not args.names or n in args.names]
    tally = S.Tally("fault scenarios")
    with S.Bed() as bed:
        for i, (name, inject) in enumerate(chosen):
            run_scenario(binary, bed, name, inject, args.seed + i, tally, args.verbose)
    print(f"fault scenarios: {tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
