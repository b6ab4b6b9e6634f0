"""The IP side of the simulated modems: the real connections they make
(netio: TCP, TLS, MQTT, HTTP; hce with its C helper hce_tls.c: TLS whose
client signature comes from the host) and the loopback servers those reach
in tests (testbed: test PKI, mosquitto, TLS echo, HTTPS)."""
