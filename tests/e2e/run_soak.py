#!/usr/bin/env python3
"""Soak test: zero lost QoS 1 messages through injected faults (issue 8).

    run_soak.py <binary> [--count N] [--faults F] [--min-kinds K] [--seed S]
                [--interval-ms MS] [--deadline-s S] [--runs R] [--verbose]

<binary> is build/soak_publisher (tests/e2e/soak_publisher.c): a reliable QoS 1
publisher on the Sequans dialect of secmodem.h. This script starts the
loopback test bed (mosquitto with required client certificates and
persistent sessions), the simulator (python3 -m sim --dialect sequans), and
a second MQTT client (the probe, a persistent session subscribed to the soak
topic), then runs the publisher; while it runs, a seeded schedule injects
faults of every kind through the simulator's control socket and the broker:

  drop         byte drop rate 1-5 % for 0.3-0.9 s, then 0
  corrupt      byte corruption rate 1-5 % for 0.3-0.9 s, then 0
  garbage      garbage units (junk, NUL bytes, 3000-byte lines) at 20-60 %
               for 0.3-0.9 s, then 0
  delay        every final result held back 3 s (past every command
               timeout of the publisher: 2 s) for 0.3-1.5 s, then 0
  reboot-cmd   reboot-after-cmds 1-3: the modem reboots halfway through
               the answer of one of the next commands
  reboot-xfer  the modem reboots while a publish is on the wire (its payload
               taken, its result held back by a 1.5 s delay)
  broker-restart  mosquitto stopped for 0.3-1.5 s, started on the same port
  broker-kick  the broker closes the modem's TLS connection (a second client
               takes over its client id)
  link-drop    the network drops the modem's MQTT connection (control "drop")
  prompt-lost  the "> " prompt of the next payload command never reaches the
               publisher (lose-prompts 1) while the modem counts its bytes:
               the case that once put a NUL-filled message on the topic
               (issue 16 item 10)

One fault at a time: each starts at a random moment 0.1-0.5 s after the
publisher has made progress again (an acknowledgement) since the previous
one. The first faults
take every kind once (shuffled), the rest are drawn at random. The publisher
is paced (--interval-ms between new messages) so that it is still running
when the last fault comes.

Checks: the publisher ended by itself within its deadline and reported
success; the probe received every sequence number 0..N-1 at least once
(0 lost; duplicates are counted, allowed at QoS 1) and nothing else (no
NUL filler, partial payload or command text); the publisher's own
count of acknowledged messages is N; no operation outlived its bound
(HANG); enough faults (--min-faults of the --faults planned) of enough
kinds were injected; they caused recoveries and restarts. Prints
"soak: N passed, N failed" (the last line).

make test runs the short soak (200 messages, 12 faults planned, at least
10); make soak the long one (1000 messages, 30 planned, at least 20).
SM_TRACE=1 traces the publisher's AT traffic, SM_SIM_TRACE=<file> the
simulator's.
"""
import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soaklib as S  # noqa: E402

KINDS = ["drop", "corrupt", "garbage", "delay", "reboot-cmd", "reboot-xfer", "broker-restart",
         "broker-kick", "link-drop", "prompt-lost"]


class Injector:
    """Injects the scheduled faults while the publisher runs, one at a time."""

    def __init__(self, rng, plan, ctl, bed, pub, log):
        self.rng, self.plan, self.ctl, self.bed, self.pub, self.log = rng, plan, ctl, bed, pub, log
        self.done = []          # (kind, description, effective)
        self.lost_publish_prompts = 0
        self.error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def join(self, timeout):
        self._thread.join(timeout)

    def _run(self):
        try:
            for kind in self.plan:
                # a moment after the publisher made progress again
                acked = self.pub.acked
                self.pub.wait_acked(acked + 1, 15.0)
                if not self.pub.running():
                    return
                time.sleep(self.rng.uniform(0.1, 0.5))
                if not self.pub.running():
                    return
                n = len(self.done) + 1
                self.log(f"fault #{n} at {time.monotonic() - self.pub.t0:5.1f}s: {kind}")
                desc, effective = getattr(self, "f_" + kind.replace("-", "_"))()
                self.done.append((kind, desc, effective))
                self.log(f"fault #{n} done: {desc}{'' if effective else ' (no effect)'}")
        except Exception as exc:  # reported as a failed check, never a hang
            self.error = repr(exc)
        finally:
            try:
                self.ctl.clear()
            except Exception as exc:
                self.error = self.error or repr(exc)
            if not self.bed.broker.running:
                self.bed.broker.resume()

    # -- the faults: each runs its whole window; (description, took effect) --

    def _rate(self, name, lo, hi):
        rate = round(self.rng.uniform(lo, hi), 3)
        window = round(self.rng.uniform(0.3, 0.9), 2)
        before = self.ctl.stats()["faults"]
        self.ctl.fault(name, rate)
        time.sleep(window)
        self.ctl.fault(name, 0)
        after = self.ctl.stats()["faults"]
        key = {"drop-rate": "dropped_bytes", "corrupt-rate": "corrupted_bytes",
               "garbage-rate": "garbage_units"}[name]
        n = after[key] - before[key]
        return f"{name} {rate} for {window} s ({n} {key.replace('_', ' ')})", n > 0

    def f_drop(self):
        return self._rate("drop-rate", 0.01, 0.05)

    def f_corrupt(self):
        return self._rate("corrupt-rate", 0.01, 0.05)

    def f_garbage(self):
        return self._rate("garbage-rate", 0.2, 0.6)

    def f_delay(self):
        window = round(self.rng.uniform(0.3, 1.5), 2)
        before = self.ctl.stats()["faults"]["delayed_results"]
        self.ctl.fault("delay-ms", 3000)
        time.sleep(window)
        self.ctl.fault("delay-ms", 0)
        n = self.ctl.stats()["faults"]["delayed_results"] - before
        return f"results held back 3000 ms for {window} s ({n} results)", n > 0

    def f_reboot_cmd(self):
        n = self.rng.randint(1, 3)
        before = self.ctl.stats()["faults"]["forced_reboots"]
        self.ctl.fault("reboot-after-cmds", n)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and self.ctl.stats()["faults"]["forced_reboots"] == before:
            time.sleep(0.02)
        self.ctl.fault("reboot-after-cmds", 0)  # disarm if it did not fire
        fired = self.ctl.stats()["faults"]["forced_reboots"] > before
        return f"reboot in the answer of command #{n} from now", fired

    def f_reboot_xfer(self):
        self.ctl.fault("delay-ms", 1500)
        cmd = ""
        deadline = time.monotonic() + 3.0
        try:
            while time.monotonic() < deadline:
                cmd = self.ctl.last_command()
                if cmd.startswith("AT+SQNSMQTTPUBLISH="):
                    break
                time.sleep(0.01)
            time.sleep(0.2)  # payload taken, its result held back
            self.ctl("reboot")
        finally:
            self.ctl.fault("delay-ms", 0)
        publish = cmd.startswith("AT+SQNSMQTTPUBLISH=")
        shown = cmd.split(",")[0] if publish else cmd[:40]
        return f"reboot during {shown!r}", publish

    def f_prompt_lost(self):
        before = self.ctl.stats()["faults"]["lost_prompts"]
        self.ctl.fault("lose-prompts", 1)
        deadline = time.monotonic() + 5.0
        cmd = ""
        while time.monotonic() < deadline and self.ctl.stats()["faults"]["lost_prompts"] == before:
            time.sleep(0.01)
        fired = self.ctl.stats()["faults"]["lost_prompts"] > before
        if fired:
            cmd = self.ctl.last_command()
            if cmd.startswith("AT+SQNSMQTTPUBLISH="):
                self.lost_publish_prompts += 1
        self.ctl.fault("lose-prompts", 0)  # disarm if it did not fire
        return f"prompt of {cmd.split(',')[0] if cmd else 'no command'!r} lost", fired

    def f_broker_restart(self):
        down = round(self.rng.uniform(0.3, 1.5), 2)
        self.bed.broker.restart(down_s=down)
        return f"mosquitto down {down} s, back on port {self.bed.broker.port}", True

    def f_broker_kick(self):
        ok = self.bed.broker.kick(S.CLIENT_ID)
        return f"session takeover of {S.CLIENT_ID!r}", ok

    def f_link_drop(self):
        deadline = time.monotonic() + 3.0
        dropped = []
        while not dropped and time.monotonic() < deadline and self.pub.running():
            dropped = self.ctl("drop", what="mqtt")["dropped"]
            if not dropped:
                time.sleep(0.05)
        return "MQTT link dropped by the network", bool(dropped)


def plan_faults(rng, count):
    kinds = KINDS[:]
    rng.shuffle(kinds)
    plan = kinds[:count]
    while len(plan) < count:
        plan.append(rng.choice(KINDS))
    return plan


def one_run(args, seed, tally):
    rng = random.Random(seed)
    plan = plan_faults(rng, args.faults)
    topic = f"{S.TOPIC_ROOT}/run-{seed}"
    print(f"soak: {args.count} messages, {args.faults} faults, seed {seed}, "
          f"interval {args.interval_ms} ms, plan: {' '.join(plan)}", flush=True)
    t0 = time.monotonic()
    with S.Bed() as bed:
        sim = S.start_sim(seed)
        try:
            ctl = S.Control(sim)
            pub = S.Publisher(args.binary, sim, bed, args.count, topic, args.interval_ms,
                              args.deadline_s, progress_every=1, echo=True,
                              quiet_prefixes=() if args.verbose else ("PROGRESS", "[soak] seq "))
            inj = Injector(rng, plan, ctl, bed, pub,
                           lambda text: print(f"soak: {text}", flush=True)).start()
            rc, ended = pub.finish(args.deadline_s + 30)
            inj.join(30)
            delivery = S.wait_delivery(bed.probe, topic, args.count, 20.0)
            sim_stats = ctl.stats()
        finally:
            sim.stop()
    counters = pub.counters()
    kinds = {k for k, _, _ in inj.done}
    effective = [k for k, _, e in inj.done if e]
    tally.check(ended, f"the publisher ended by itself ({pub.elapsed:.1f} s, limit {args.deadline_s} s)")
    tally.check(rc == 0 and pub.result().startswith("ok"), f"the publisher reports: {pub.result()}")
    tally.check(not delivery.lost, f"probe: {delivery.summary()}")
    tally.check(delivery.qos <= {1}, f"probe got QoS {sorted(delivery.qos)}")
    tally.check(not delivery.alien, "nothing but the messages reached the topic (no NUL filler, "
                f"partial payload or command text: {len(delivery.alien)} foreign)")
    if inj.lost_publish_prompts:
        tally.check(counters.get("at_replayed", 0) > 0,
                    f"{inj.lost_publish_prompts} publish prompt(s) lost: the count was met with the "
                    f"payload's real bytes ({counters.get('at_replayed')} bytes replayed, "
                    f"{counters.get('at_filler')} filler)")
    tally.check(counters.get("acked") == args.count,
                f"publisher: {counters.get('acked')} of {args.count} acknowledged by the broker")
    tally.check(counters.get("hangs", 1) == 0 and not pub.grep(r"^HANG "),
                "every operation ended within its bound (no HANG)")
    tally.check(inj.error is None, f"fault injection ran without error ({inj.error})")
    tally.check(len(inj.done) >= args.min_faults and len(kinds) >= args.min_kinds,
                f"{len(inj.done)} of {args.faults} planned faults injected (at least {args.min_faults}) "
                f"of {len(kinds)} kinds (at least {args.min_kinds}); {len(effective)} took effect")
    tally.check(counters.get("recoveries", 0) > 0 and counters.get("restarts", 0) > 1,
                f"the faults were felt: {counters.get('recoveries')} recoveries, "
                f"{counters.get('restarts')} modem starts")
    by_kind = {}
    for k, _, _ in inj.done:
        by_kind[k] = by_kind.get(k, 0) + 1
    causes = " ".join(f"{k[4:]}={v}" for k, v in counters.items() if k.startswith("rec_") and v)
    print(f"soak summary (seed {seed}): {args.count} messages, {len(delivery.seen)} received, "
          f"lost {len(delivery.lost)}, duplicates {delivery.duplicates}, foreign messages "
          f"{len(delivery.alien)} (NUL filler {len(delivery.filler)}); "
          f"faults {len(inj.done)} ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))}); "
          f"recoveries {counters.get('recoveries')} ({causes}); retries {counters.get('retries')}, "
          f"ack timeouts {counters.get('ack_timeouts')}; engine: timeouts {counters.get('at_timeouts')}, "
          f"stale {counters.get('at_stale')}, overlong {counters.get('at_overlong')}, "
          f"replayed {counters.get('at_replayed')}, filler {counters.get('at_filler')}, "
          f"unexpected {counters.get('at_unexpected')}, NUL {counters.get('at_nul')}; "
          f"simulator: {sim_stats['faults']}; {time.monotonic() - t0:.1f} s", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--faults", type=int, default=12, help="faults planned")
    p.add_argument("--min-faults", type=int, default=10, help="faults that must have been injected")
    p.add_argument("--min-kinds", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--interval-ms", type=int, default=None,
                   help="pace of new messages (default: enough time for the faults)")
    p.add_argument("--deadline-s", type=int, default=None)
    p.add_argument("--runs", type=int, default=1, help="runs in a row, seeds S, S+1, ...")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    args.binary = os.path.join(S.ROOT, args.binary)
    if args.interval_ms is None:
        # a fault takes ~1 s besides the stall it causes (waiting for
        # progress, the random gap, its window): publishing must outlast that
        args.interval_ms = max(20, int(1000 * 1.4 * args.faults / args.count))
    if args.deadline_s is None:
        args.deadline_s = int(args.count * args.interval_ms / 1000 + 8 * args.faults + 60)
    tally = S.Tally("soak")
    for run in range(args.runs):
        one_run(args, args.seed + run, tally)
    print(f"soak: {tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
