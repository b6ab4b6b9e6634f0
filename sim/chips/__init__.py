"""Secure elements: the ATECC608 emulator (atecc), the certificate-definition
maker for compressed certificates (certdef) and a Trust&GO-style provisioning
of the emulated chip from a test PKI (provision)."""
