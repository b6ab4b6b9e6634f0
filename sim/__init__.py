"""secmodem modem simulator: a fake AT modem on a pty or a serial port.

Run it with ``python3 -m sim --help``.  In-process use:

    from sim.core import Modem, Options, PtyTransport
    from sim.generic import GenericDialect
    modem = Modem(GenericDialect(), PtyTransport()).start()

Dialects live in ``sim/<name>.py`` and export their class as ``DIALECT``.
"""

__version__ = "1.0.0"
