"""What every simulated modem shares: the AT front end (core), the serial
line to the host (transport) and a tap on a real one (tap), fault injection
(faults), the control socket (control) and the test harness (testing)."""
