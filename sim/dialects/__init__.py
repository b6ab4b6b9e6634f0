"""One module per simulated modem: generic (3GPP-style, for the AT engine's
tests), sequans (GM02S), cordelia (Cordelia-I).  Each exports its Dialect
subclass as DIALECT; `python3 -m sim --dialect NAME` loads sim.dialects.NAME."""
