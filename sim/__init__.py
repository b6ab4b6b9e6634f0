"""secmodem modem simulator: a fake AT modem on a pty or a serial port.

Run it with ``python3 -m sim --help``.  In-process use:

    from sim.common.core import Modem, Options, PtyTransport
    from sim.dialects.generic import GenericDialect
    modem = Modem(GenericDialect(), PtyTransport()).start()

The modules are grouped by layer (sim/README.md): ``common`` (the AT front
end, the serial line, faults, control, test harness), ``dialects`` (one
module per modem, each exporting its class as ``DIALECT``), ``network`` (the
real TCP/TLS/MQTT/HTTP connections a simulated modem makes, and the loopback
servers they reach) and ``chips`` (the ATECC608 emulator and its
certificate tools).
"""

__version__ = "1.0.0"
