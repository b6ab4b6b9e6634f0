"""Sequans dialect: the built-in MQTT client (real paho) against mosquitto
with mutual TLS from the test bed.

Contract section "Built-in MQTT client (id 0)".
"""

import os
import re
import tempfile

from conftest import OK, PROMPT
from sim.network.testbed import MosquittoBroker

BINARY = bytes(range(256)) + b"\r\nOK\r\n> \x00"


def connect(host, port, sp_id=1, client_id="sim-device", address="localhost"):
    """CFG + CONNECT; the rc of +SQNSMQTTONCONNECT."""
    tail = f',"","",{sp_id}' if sp_id is not None else ""
    host.ok(f'AT+SQNSMQTTCFG=0,"{client_id}"{tail}')
    assert host.cmd(f'AT+SQNSMQTTCONNECT=0,"{address}",{port},30') == OK
    line = host.urc("+SQNSMQTTONCONNECT:", timeout=10)
    return int(line.split(b",")[1])


def subscribe(host, topic, qos):
    assert host.cmd(f'AT+SQNSMQTTSUBSCRIBE=0,"{topic}",{qos}') == OK
    return host.urc("+SQNSMQTTONSUBSCRIBE:")


def publish_only(host, topic, qos, payload):
    """Publish; the pmid from +SQNSMQTTPUBLISH: <pmid> (one field, the GM02SP's)."""
    out = host.payload(f'AT+SQNSMQTTPUBLISH=0,"{topic}",{qos},{len(payload)}', payload)
    m = re.fullmatch(rb"\r\n\+SQNSMQTTPUBLISH: (\d+)\r\n" + re.escape(OK), out)
    assert m, out
    return int(m.group(1))


def publish(host, topic, qos, payload):
    """Publish; (pmid, the ONPUBLISH line)."""
    pmid = publish_only(host, topic, qos, payload)
    return pmid, host.urc(b"+SQNSMQTTONPUBLISH:0,%d," % pmid)


def urc_lines(host, *prefixes, timeout=5.0):
    """Read URC lines until one starting with each prefix was seen (in any
    order: the broker's echo may beat the acknowledgement)."""
    found = {}
    while len(found) < len(prefixes):
        host.port.read_until(b"\r\n", timeout)
        line = host.port.read_until(b"\r\n", timeout)[:-2]
        for p in prefixes:
            if line.startswith(p) and p not in found:
                found[p] = line
    return [found[p] for p in prefixes]


def read_message(host, topic, length, mid=None):
    tail = f",{mid}" if mid is not None else ""
    host.port.write(f'AT+SQNSMQTTRCVMESSAGE=0,"{topic}"{tail}\r'.encode())
    data = host.port.read_exactly(2 + length + 2 + len(OK), 5)
    assert data[:2] == b"\r\n" and data[-(2 + len(OK)):] == b"\r\n" + OK, data
    return data[2:2 + length]


def test_connect_subscribe_publish_all_qos_and_read_own_messages(sqn_tls, bed):
    host = sqn_tls
    with bed.probe(["dev/#"]) as probe:
        assert connect(host, bed.broker.port) == 0
        assert subscribe(host, "dev/echo", 2) == b'+SQNSMQTTONSUBSCRIBE:0,"dev/echo",0'
        pmids = []
        for qos in (0, 1, 2):
            payload = bytes([qos]) + BINARY
            pmid = publish_only(host, "dev/echo", qos, payload)
            acked, line = urc_lines(host, b"+SQNSMQTTONPUBLISH:", b"+SQNSMQTTONMESSAGE:")
            assert acked == b"+SQNSMQTTONPUBLISH:0,%d,0" % pmid
            pmids.append(pmid)
            if qos == 0:
                assert line == b'+SQNSMQTTONMESSAGE:0,"dev/echo",%d,0' % len(payload)
                assert read_message(host, "dev/echo", len(payload)) == payload
            else:
                m = re.fullmatch(rb'\+SQNSMQTTONMESSAGE:0,"dev/echo",(\d+),%d,(\d+)' % qos, line)
                assert m and int(m.group(1)) == len(payload), line
                assert read_message(host, "dev/echo", len(payload), int(m.group(2))) == payload
        assert pmids == [1, 2, 3]
        seen = probe.wait_for(3)
    assert [(t, p, q) for t, p, q, _ in seen] == [
        ("dev/echo", bytes([q]) + BINARY, q) for q in (0, 1, 2)]
    assert "u'client'" in bed.broker.log()     # the CN became the user name


def test_messages_from_another_client_and_queue_rules(sqn_tls, bed):
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-queue") == 0
    subscribe(host, "cmd/#", 1)
    with bed.probe(client_id="probe-pub") as probe:
        probe.publish("cmd/a", b"first", qos=0)
        assert host.urc("+SQNSMQTTONMESSAGE:") == b'+SQNSMQTTONMESSAGE:0,"cmd/a",5,0'
        probe.publish("cmd/a", b"second!", qos=0)   # replaces the unread QoS 0 message
        assert host.urc("+SQNSMQTTONMESSAGE:") == b'+SQNSMQTTONMESSAGE:0,"cmd/a",7,0'
        probe.publish("cmd/b", b"\x00\xff", qos=1)
        line = host.urc("+SQNSMQTTONMESSAGE:")
        assert line.startswith(b'+SQNSMQTTONMESSAGE:0,"cmd/b",2,1,')
        mid = int(line.rsplit(b",", 1)[1])
    assert read_message(host, "cmd/a", 7) == b"second!"
    assert host.cme('AT+SQNSMQTTRCVMESSAGE=0,"cmd/a"') == 22        # gone
    assert host.cme(f'AT+SQNSMQTTRCVMESSAGE=0,"cmd/b",{mid + 1}') == 22
    assert read_message(host, "cmd/b", 2, mid) == b"\x00\xff"


def test_queue_overflow_reports_memoryfull(sqn_tls, bed):
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-full") == 0
    subscribe(host, "flood/#", 1)
    with bed.probe(client_id="probe-flood") as probe:
        for i in range(101):
            probe.client.publish(f"flood/{i}", b"%d" % i, qos=1)
        out = host.port.read_until(b'"flood/100",3,1,101\r\n', 10)
    assert out.count(b"+SQNSMQTTMEMORYFULL\r\n") == 1
    assert host.cme('AT+SQNSMQTTRCVMESSAGE=0,"flood/0",1') == 22       # oldest dropped
    assert read_message(host, "flood/1", 1, 2) == b"1"
    assert read_message(host, "flood/100", 3, 101) == b"100"


def test_unsubscribe_and_disconnect(sqn_tls, bed):
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-unsub") == 0
    subscribe(host, "u/t", 0)
    assert host.cmd('AT+SQNSMQTTUNSUBSCRIBE=0,"u/t"') == OK
    assert host.urc("+SQNSMQTTONUNSUBSCRIBE:") == b'+SQNSMQTTONUNSUBSCRIBE:0,"u/t",0'
    publish(host, "u/t", 1, b"nobody listens")
    assert host.quiet(0.2) == b""                                 # no ONMESSAGE
    assert host.cmd("AT+SQNSMQTTDISCONNECT=0") == OK
    assert host.urc("+SQNSMQTTONDISCONNECT:") == b"+SQNSMQTTONDISCONNECT:0,0"
    assert host.cme("AT+SQNSMQTTDISCONNECT=0") == 3                 # not connected
    assert host.cme('AT+SQNSMQTTSUBSCRIBE=0,"u/t",0') == 3
    assert host.final('AT+SQNSMQTTPUBLISH=0,"u/t",0,5') == b"\r\n+CME ERROR: 3\r\n"  # no prompt
    assert connect(host, bed.broker.port, client_id="sim-unsub") == 0   # again


def test_wrong_ca_is_a_tls_error(sqn_tls, bed):
    assert connect(sqn_tls, bed.broker.port, sp_id=3) == -8


def test_broker_refuses_a_client_without_certificate(sqn_tls, bed):
    assert connect(sqn_tls, bed.broker.port, sp_id=2) == -8      # TLS 1.2 handshake
    sqn_tls.ok('AT+SQNSPCFG=5,3,"",1,10')                      # TLS 1.3: closed after it
    assert connect(sqn_tls, bed.broker.port, sp_id=5) == -8


def test_broker_refuses_a_certificate_from_another_ca(sqn_tls, bed):
    host = sqn_tls
    host.store("certificate", 13, bed.pki.rogue.cert_pem)
    host.store("privatekey", 13, bed.pki.rogue.key_pem)
    host.ok('AT+SQNSPCFG=5,2,"",1,10,13,13')
    assert connect(host, bed.broker.port, sp_id=5) == -8


def test_plain_listener_and_wrong_port(sqn, bed):
    with tempfile.TemporaryDirectory() as tmp, \
            MosquittoBroker(bed.pki, tmp, plain=True) as broker:
        assert connect(sqn, broker.plain_port, sp_id=None, client_id="plain") == 0
        sqn.cmd("AT+SQNSMQTTDISCONNECT=0")
        sqn.urc("+SQNSMQTTONDISCONNECT:")
        # Plain MQTT to the TLS listener: the broker drops it before CONNACK.
        assert connect(sqn, broker.port, sp_id=None, client_id="plain") in (-7, -4)


def test_broker_down_and_non_loopback(sqn_tls, bed):
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(bed.pki, tmp).start()
        port = broker.port
        broker.stop()
    assert connect(sqn_tls, port) == -4
    assert connect(sqn_tls, 8883, address="192.0.2.1") == -4
    assert connect(sqn_tls, 8883, address="mqtt.example.com") == -4


def test_broker_side_drop_reports_connection_lost_with_disconnect_urc(sqn_tls, bed):
    """disconnect-urc=on (the old contract): ONDISCONNECT -7, no resume."""
    host = sqn_tls
    host.dialect.set_option("disconnect-urc", "on")
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(bed.pki, tmp).start()
        try:
            assert connect(host, broker.port) == 0
        finally:
            broker.stop()
        assert host.urc("+SQNSMQTTONDISCONNECT:") == b"+SQNSMQTTONDISCONNECT:0,-7"
        assert host.cme("AT+SQNSMQTTDISCONNECT=0") == 3


def test_state_errors_and_bad_arguments(sqn_tls, bed):
    host = sqn_tls
    assert host.cme(f'AT+SQNSMQTTCONNECT=0,"localhost",{bed.broker.port}') == 3   # no CFG
    host.ok('AT+SQNSMQTTCFG=0,"x","","",1')
    assert host.cme('AT+SQNSMQTTCFG=1,"x"') == 4
    assert host.cme('AT+SQNSMQTTCFG=0,"x","","",7') == 4
    assert host.cme("AT+SQNSMQTTCONNECT=0,\"localhost\",0") == 4
    assert connect(host, bed.broker.port) == 0
    assert host.cme(f'AT+SQNSMQTTCONNECT=0,"localhost",{bed.broker.port}') == 3   # connected
    assert host.cme('AT+SQNSMQTTPUBLISH=0,"a/#",0,5') == 4                         # wildcard
    assert host.cme('AT+SQNSMQTTPUBLISH=0,"a",0,4097') == 4
    assert host.cme('AT+SQNSMQTTPUBLISH=0,"a",3,5') == 4
    assert host.cme('AT+SQNSMQTTRCVMESSAGE=0,"nothing"') == 22


def test_reboot_drops_the_connection(sqn_tls, bed):
    host = sqn_tls
    with bed.probe(client_id="probe-reboot") as probe:
        assert connect(host, bed.broker.port, client_id="sim-reboot") == 0
        host.port.write(b'AT+SQNSMQTTPUBLISH=0,"r/t",1,10\r')
        host.port.read_until(PROMPT)
        host.port.write(b"12345")                        # half the payload
        host.modem.reboot("test")
        host.port.read_until(b"\r\n+SYSSTART\r\n", 5)
        assert host.port.command(b"AT+SQNSMQTTDISCONNECT=0", b"ERROR\r\n").endswith(
            b"\r\nERROR\r\n")
        assert probe.messages == []
    assert "sim-reboot" in bed.broker.log()


def test_topic_bytes_are_utf8(sqn_tls, bed):
    host = sqn_tls
    topic = "dev/\u00e9t\u00e9".encode("utf-8")
    with bed.probe(["dev/#"], client_id="probe-utf8") as probe:
        assert connect(host, bed.broker.port, client_id="sim-utf8") == 0
        out = host.payload(b'AT+SQNSMQTTPUBLISH=0,"' + topic + b'",1,2', b"hi")
        assert out.endswith(OK)
        assert probe.wait_for(1)[0][0] == "dev/\u00e9t\u00e9"
    assert os.path.exists(bed.broker.log_path)


def test_echo_on_framing_of_publish_and_rcvmessage(sqn_tls, bed):
    host = sqn_tls
    assert connect(host, bed.broker.port, client_id="sim-echo") == 0
    subscribe(host, "e/t", 1)
    assert host.cmd("ATE1") == OK
    host.port.write(b'AT+SQNSMQTTPUBLISH=0,"e/t",1,3\r')
    assert host.port.read_until(PROMPT) == b'AT+SQNSMQTTPUBLISH=0,"e/t",1,3\r' + PROMPT
    host.port.write(b"\r\n>")                                # payload is not echoed
    assert host.port.read_until(OK) == b"\r\n+SQNSMQTTPUBLISH: 1\r\n" + OK
    line, _ = urc_lines(host, b"+SQNSMQTTONMESSAGE:", b"+SQNSMQTTONPUBLISH:")
    mid = int(line.rsplit(b",", 1)[1])
    cmd = b'AT+SQNSMQTTRCVMESSAGE=0,"e/t",%d' % mid
    assert host.port.command(cmd) == cmd + b"\r" + b"\r\n\r\n>\r\n" + OK
