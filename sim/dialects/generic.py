"""The 'generic' dialect: a 3GPP-style test modem for the C AT engine.

Every command exists to exercise one engine feature (multi-line responses,
URC interleaving, prompts with binary data, raw reads, inline payloads,
timeouts, resynchronisation after garbage or a reboot).  The C engine's
tests depend on the exact bytes produced here.
"""

import datetime
import re
import zlib

from ..common.core import Command, ThreeGppDialect

MAX_LINES = 1000          # AT+LINES / AT+URCIN upper bound
MAX_DATA = 65535          # AT+SEND / AT+RECV / AT+INLINE upper bound
MAX_SLOW_MS = 600000
# AT+RECV fills beyond the data buffer with this, cycled: it is full of
# things an engine must not take for protocol elements inside raw data.
DEFAULT_PATTERN = b"\r\nOK\r\n> \x00\xff+RECV: 9\r\nERROR\r\n"

_INLINE_ARGS = re.compile(r"(\d{1,5}),")


def crc_hex(data):
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def int_arg(text, lo, hi):
    """Strict decimal integer within lo..hi, else None."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def split_urc_args(args):
    """'<text>[,<delay_ms>]': the last field is a delay only if all digits."""
    text, comma, last = args.rpartition(",")
    if comma and last.isascii() and last.isdigit():
        return text, int(last)
    return args, 0


def inline_length(args):
    """AT+INLINE=<n>, -- the payload starts right after the comma."""
    m = _INLINE_ARGS.fullmatch(args)
    if not m:
        return None
    n = int(m.group(1))
    return n if n <= MAX_DATA else None


def recv_data(buffer, n):
    """First n bytes of the data buffer, padded with the pattern cycled."""
    data = bytes(buffer[:n])
    missing = n - len(data)
    if missing > 0:
        repeats = missing // len(DEFAULT_PATTERN) + 1
        data += (DEFAULT_PATTERN * repeats)[:missing]
    return data


class GenericDialect(ThreeGppDialect):
    name = "generic"
    startup_urc = "+SYSSTART"
    echo_default = True
    cmee_default = 0

    def __init__(self, send_timeout=5.0, optional_cr_timeout=0.1, reboot_delay=0.1):
        self.send_timeout = send_timeout                # AT+SEND payload limit
        self.optional_cr_timeout = optional_cr_timeout  # CR after AT+SEND data
        self.reboot_delay = reboot_delay                # AT+REBOOT: OK to reboot
        super().__init__()

    def initial_state(self):
        # the AT+SEND data buffer, and the 27.007 basics' settings, lost on reboot
        return {"data": b"", "cereg": 0, "fun": 1}

    def command_table(self):
        table = super().command_table()
        table.update({
            "": self.cmd_at,
            "I": self.cmd_ati,
            "+GMR": self.cmd_gmr,
            "+FAIL": self.cmd_fail,
            "+ECHOLN": self.cmd_echoln,
            "+LINES": self.cmd_lines,
            "+URC": self.cmd_urc,
            "+URCIN": self.cmd_urcin,
            "+SEND": self.cmd_send,
            "+RECV": self.cmd_recv,
            "+SLOW": self.cmd_slow,
            "+NORESP": self.cmd_noresp,
            "+REBOOT": self.cmd_reboot,
            "+GARBAGE": self.cmd_garbage,
            "+INLINE": Command(self.cmd_inline, inline=inline_length),
            # the 3GPP TS 27.007 basics any modem answers (the Quick start's
            # own commands): identification, registration, clock, radio
            "+CGMR": self.cmd_gmr,
            "+CGMI": self.cmd_cgmi,
            "+CGMM": self.cmd_cgmm,
            "+CEREG": self.cmd_cereg,
            "+CFUN": self.cmd_cfun,
            "+CCLK": self.cmd_cclk,
            "+CSQ": self.cmd_csq,
            "+CPIN": self.cmd_cpin,
        })
        return table

    # Every malformed form of a known command gets the same answer as an
    # unknown command (CME 4), as the spec says "anything else".
    def reject(self, ctx, req):
        self.unknown_command(ctx, req)

    def set_int(self, req, lo, hi):
        """The integer argument of 'AT+X=<n>', or None."""
        return int_arg(req.args, lo, hi) if req.op == "set" else None

    # -- simple commands -------------------------------------------------------

    def cmd_at(self, ctx, req):
        ctx.ok()

    def cmd_ati(self, ctx, req):
        ctx.info("secmodem-sim")
        ctx.info("generic")
        ctx.ok()

    def cmd_gmr(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.info("1.0.0")
        ctx.ok()

    def cmd_cgmi(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.info("secmodem")
        ctx.ok()

    def cmd_cgmm(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.info("generic")
        ctx.ok()

    def cmd_cereg(self, ctx, req):
        """AT+CEREG=<n 0..5> / AT+CEREG?: registered, home network (stat 1)."""
        st = ctx.state
        if req.op == "read":
            ctx.info(f"+CEREG: {st['cereg']},1")
            return ctx.ok()
        n = self.set_int(req, 0, 5)
        if n is None:
            return self.reject(ctx, req)
        st["cereg"] = n
        ctx.ok()

    def cmd_cfun(self, ctx, req):
        """AT+CFUN=<0|1|4>[,<0|1>] / AT+CFUN?."""
        st = ctx.state
        if req.op == "read":
            ctx.info(f"+CFUN: {st['fun']}")
            return ctx.ok()
        fun, _, rst = req.args.partition(",")
        value = int_arg(fun, 0, 4) if req.op == "set" else None
        if value not in (0, 1, 4) or (rst and int_arg(rst, 0, 1) is None):
            return self.reject(ctx, req)
        st["fun"] = value
        ctx.ok()

    def cmd_cclk(self, ctx, req):
        """AT+CCLK?: the PC's time in UTC, "yy/MM/dd,hh:mm:ss+00"."""
        if req.op != "read":
            return self.reject(ctx, req)
        now = datetime.datetime.now(datetime.timezone.utc)
        ctx.info(now.strftime('+CCLK: "%y/%m/%d,%H:%M:%S+00"'))
        ctx.ok()

    def cmd_csq(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.info("+CSQ: 20,99")
        ctx.ok()

    def cmd_cpin(self, ctx, req):
        if req.op != "read":
            return self.reject(ctx, req)
        ctx.info("+CPIN: READY")
        ctx.ok()

    def cmd_fail(self, ctx, req):
        code = self.set_int(req, 0, 65535)
        if code is None:
            return self.reject(ctx, req)
        ctx.cme_error(code)

    def cmd_echoln(self, ctx, req):
        if req.op != "set":
            return self.reject(ctx, req)
        ctx.info(f"+ECHOLN: {req.args}")
        ctx.ok()

    def cmd_lines(self, ctx, req):
        n = self.set_int(req, 0, MAX_LINES)
        if n is None:
            return self.reject(ctx, req)
        for i in range(n):
            ctx.info(f"+LINES: {i}")
        ctx.ok()

    # -- URCs --------------------------------------------------------------------

    def cmd_urc(self, ctx, req):
        if req.op != "set":
            return self.reject(ctx, req)
        text, delay_ms = split_urc_args(req.args)
        ctx.ok()
        if delay_ms:
            ctx.urc_later(delay_ms / 1000.0, text)
        else:
            ctx.urc(text)

    def cmd_urcin(self, ctx, req):
        n = self.set_int(req, 0, MAX_LINES)
        if n is None:
            return self.reject(ctx, req)
        for i in range(n):
            ctx.urc(f"+TICK: {i}")
            ctx.info(f"+URCIN: {i}")
        ctx.urc(f"+TICK: {n}")
        ctx.ok()

    # -- binary data -------------------------------------------------------------

    def cmd_send(self, ctx, req):
        n = self.set_int(req, 0, MAX_DATA)
        if n is None:
            return self.reject(ctx, req)
        ctx.prompt()
        data = ctx.read_raw(n, self.send_timeout)
        if data is None:
            return ctx.error()
        # Hosts often terminate the data with CR out of habit; eat one.
        ctx.swallow(b"\r", self.optional_cr_timeout)
        ctx.state["data"] = data
        ctx.info(f"+SEND: {n},{crc_hex(data)}")
        ctx.ok()

    def cmd_recv(self, ctx, req):
        n = self.set_int(req, 0, MAX_DATA)
        if n is None:
            return self.reject(ctx, req)
        # Header and data form one unit: nothing may come between them.
        ctx.send(self.frame(f"+RECV: {n}") + recv_data(ctx.state["data"], n), "data")
        ctx.ok()

    def cmd_inline(self, ctx, req):
        if req.payload is None or req.tail:
            return self.reject(ctx, req)
        ctx.info(f"+INLINE: {len(req.payload)},{crc_hex(req.payload)}")
        ctx.ok()

    # -- timing and misbehaviour ---------------------------------------------------

    def cmd_slow(self, ctx, req):
        ms = self.set_int(req, 0, MAX_SLOW_MS)
        if ms is None:
            return self.reject(ctx, req)
        ctx.sleep(ms / 1000.0)
        ctx.ok()

    def cmd_noresp(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.modem.trace.note("AT+NORESP: no response by design")

    def cmd_reboot(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        ctx.ok()
        ctx.later(self.reboot_delay, lambda: ctx.modem.reboot("AT+REBOOT"))

    def cmd_garbage(self, ctx, req):
        if req.op != "exec":
            return self.reject(ctx, req)
        for chunk in (b"\r", b"\n", b"\x00" * 5, b"\xff\xfe", b"x" * 3000 + b"\r\n", b"+PART"):
            ctx.send(chunk, "raw")
        ctx.ok()


DIALECT = GenericDialect
