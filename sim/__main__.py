"""Command line entry point: python3 -m sim [options]."""

import argparse
import importlib
import re
import signal
import sys
import time

from .common.control import ControlServer
from .common.core import Modem, Options, Tracer
from .common.faults import Faults
from .common.transport import PtyTransport, SerialTransport


def load_dialect(name):
    """Instantiate sim/dialects/<name>.py's DIALECT; new dialects need no
    registry.  Only that package is searched, so --dialect can never name a
    module of another layer (sim.common.core, sim.chips.atecc)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"bad dialect name {name!r}")
    package = f"{__package__}.dialects"
    try:
        module = importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        raise ValueError(f"no dialect {name!r} ({exc})") from None
    cls = getattr(module, "DIALECT", None)
    if cls is None:
        raise ValueError(f"module {package}.{name} does not define DIALECT")
    return cls()


def probability(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be within 0..1")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def build_parser():
    p = argparse.ArgumentParser(prog="python3 -m sim", description="secmodem AT modem simulator")
    p.add_argument("--dialect", default="generic", help="dialect module in sim/dialects/ (default: generic)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal (default)")
    where.add_argument("--port", metavar="DEV", help="serve on a real serial port instead")
    p.add_argument("--baud", type=int, default=115200, help="baud rate for --port")
    p.add_argument("--link", metavar="PATH", help="symlink PATH -> pty slave (removed on exit)")
    p.add_argument("--echo", choices=("on", "off"), help="power-on echo (default: dialect's)")
    p.add_argument("--cmee", type=int, choices=(0, 1, 2), help="power-on +CMEE mode")
    p.add_argument("--trace", metavar="FILE|-", help="write a traffic trace")
    p.add_argument("--seed", type=int, default=0, help="fault RNG seed (default 0)")
    p.add_argument("--drop-rate", type=probability, default=0.0)
    p.add_argument("--corrupt-rate", type=probability, default=0.0)
    p.add_argument("--garbage-rate", type=probability, default=0.0)
    p.add_argument("--delay-ms", type=non_negative, default=0)
    p.add_argument("--reboot-after-cmds", type=non_negative, default=0)
    p.add_argument("--control", metavar="PATH", help="UNIX socket for JSON control commands")
    p.add_argument("--option", metavar="NAME=VALUE", action="append", default=[],
                   help="set a dialect option (repeatable; --list-options shows them)")
    p.add_argument("--list-options", action="store_true",
                   help="print the dialect's options and their values, then exit")
    p.add_argument("--hce-helper", metavar="PATH",
                   help="sequans: the TLS helper for host signing (default: $SECMODEM_HCE_HELPER, "
                        "else build/hce_tls)")
    return p


def apply_options(dialect, settings):
    """--option NAME=VALUE ... -> dialect.set_option; ValueError on a bad one."""
    for setting in settings:
        name, eq, value = setting.partition("=")
        if not eq:
            raise ValueError(f"--option {setting!r}: expected NAME=VALUE")
        dialect.set_option(name, value)


def describe_options(dialect):
    lines = [f"options of dialect {dialect.name!r}:"]
    values = dialect.options()
    for name, (_, _, text) in sorted(dialect.OPTIONS.items()):
        lines.append(f"  {name} (now {values[name]!r}): {text}")
    if not dialect.OPTIONS:
        lines.append("  (none)")
    return "\n".join(lines)


def main(argv=None):
    args = build_parser().parse_args(argv)

    # Signals only raise a flag: the main thread polls it, so no lock is ever
    # taken inside a signal handler.
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))

    try:
        dialect = load_dialect(args.dialect)
        apply_options(dialect, args.option +
                      ([f"hce-helper={args.hce_helper}"] if args.hce_helper else []))
    except ValueError as exc:
        print(f"sim: {exc}", file=sys.stderr)
        return 2
    if args.list_options:
        print(describe_options(dialect))
        return 0
    faults = Faults(seed=args.seed, drop_rate=args.drop_rate, corrupt_rate=args.corrupt_rate,
                    garbage_rate=args.garbage_rate, delay_ms=args.delay_ms,
                    reboot_after_cmds=args.reboot_after_cmds)
    options = Options(echo=None if args.echo is None else args.echo == "on", cmee=args.cmee)
    trace = Tracer.open(args.trace)
    transport = SerialTransport(args.port, args.baud) if args.port else PtyTransport(link=args.link)
    modem = Modem(dialect, transport, options, faults, trace)
    control = None
    try:
        if args.control:
            control = ControlServer(modem, args.control).start()
        # Announce before powering on, so that with '--trace -' the first
        # stdout line is always this one.
        if args.port:
            print(f"PORT {args.port}", flush=True)
        else:
            print(f"PTY {transport.slave_path}", flush=True)
        modem.start()
        while not stop:
            time.sleep(0.05)
    finally:
        modem.stop()
        if control:
            control.close()
        transport.close()
        trace.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
