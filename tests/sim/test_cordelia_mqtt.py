"""Cordelia-I dialect: the on-module MQTT client (real paho) against the test
bed's mosquitto with mutual TLS, configured by user settings and files.

Contract section "On-module MQTT client".
"""

import base64
import os
import tempfile
import time

import pytest

from conftest import CORD_OK, CORD_STARTUP
from sim.network.testbed import MosquittoBroker, free_port

JSON = b'{"RandomString":"oUykIeOvzm","Number1":104,"Number2":575,"list":"a,b"}'
CONNACK_0 = b'+eventmqtt:info,"CONNACK",0'


def _without_recv_events(data):
    """The answer with every +eventmqtt:recv line taken out."""
    return b"".join(l for l in data.splitlines(keepends=True)
                    if not l.startswith(b"+eventmqtt:recv,"))


def connect(host, timeout=10):
    assert host.final("AT+iotconnect") == CORD_OK
    return host.event("+eventmqtt:", timeout)


def test_connect_publish_and_receive_own_message(cord_mqtt, bed):
    host = cord_mqtt
    with bed.probe(["cordelia/#"]) as probe:
        assert connect(host) == CONNACK_0
        assert host.final(b'AT+iotpublish=0,"' + JSON + b'"') == CORD_OK
        assert host.event("+eventmqtt:recv,") == \
            b'+eventmqtt:recv,cordelia/apple,qos0,"' + JSON + b'"'
        topic, payload, qos, retain = probe.wait_for(1)[0]
        assert (topic, payload, qos, retain) == ("cordelia/apple", JSON, 0, False)
        assert host.final("AT+iotdisconnect") == CORD_OK
        assert host.event("+eventmqtt:") == b'+eventmqtt:info,"DISCONNECT",0'
        assert host.error("AT+iotpublish=0,x") == ("not connected", -2069)
        assert host.error("AT+iotdisconnect") == ("not connected", -2069)


def test_payload_is_rest_of_line_one_quote_pair_stripped(cord_mqtt, bed):
    host = cord_mqtt
    host.set("PUBTOPIC1", "name", '"cordelia/banana"')
    host.set("PUBTOPIC1", "qos", "1")
    with bed.probe(["cordelia/banana"]) as probe:
        assert connect(host) == CONNACK_0
        for line in (b'AT+iotpublish=1,""quoted", with "quotes" at both ends""',
                     b"AT+iotpublish=1,Hello World, bare",
                     b'AT+iotpublish=1,"caf\xc3\xa9 \xff"',
                     b'AT+iotpublish=1,""'):
            # SUBTOPIC0 (cordelia/+) brings each message back to the module:
            # its +eventmqtt:recv may come before the next command's OK (the
            # module reports events when they happen), so it is left out here
            out = host.final(line)
            assert _without_recv_events(out) == CORD_OK, out
        got = [m[1] for m in probe.wait_for(4)]
        assert got == [b'"quoted", with "quotes" at both ends"', b"Hello World, bare",
                       b"caf\xc3\xa9 \xff", b""]
        assert all(m[2] == 1 for m in probe.messages)


def test_incoming_messages_every_subscription_qos_and_unprintable(cord_mqtt, bed):
    host = cord_mqtt
    host.set("SUBTOPIC2", "name", '"other/#"')
    host.set("SUBTOPIC2", "qos", "1")
    with bed.probe() as probe:
        assert connect(host) == CONNACK_0
        probe.publish("other/x", b'a "b", c', qos=1)
        assert host.event("+eventmqtt:") == b'+eventmqtt:recv,other/x,qos1,"a "b", c"'
        probe.publish("cordelia/kiwi", b"\x00\x7f\xfe bytes")
        assert host.event("+eventmqtt:") == \
            b'+eventmqtt:recv,cordelia/kiwi,qos0,"\x00\x7f\xfe bytes"'
        probe.publish("cordelia/kiwi", b"line one\r\nline two")
        assert host.event("+eventmqtt:") == b'+eventmqtt:error,"PAYLOAD_UNPRINTABLE",-1'
        probe.publish("unsubscribed/topic", b"nobody")
        probe.publish("cordelia/\u00e9", b"x")
        assert host.event("+eventmqtt:") == b'+eventmqtt:recv,cordelia/\xc3\xa9,qos0,"x"'


def test_settings_reach_the_connect_packet(cord_mqtt, bed):
    host = cord_mqtt
    host.set("MQTT", "willTopic", '"cordelia/status"')
    host.set("MQTT", "willMessage", '"offline"')
    host.set("MQTT", "willQos", "1")
    host.set("MQTT", "keepAliveTimeOut", "30")
    with bed.probe(["cordelia/status"]) as probe:
        assert connect(host) == CONNACK_0
        # A will is published only when the connection breaks: restart.
        host.dialect.auto_reconnect = False
        host.modem.reboot("test")
        host.port.read_until(CORD_STARTUP)
        assert probe.wait_for(1, timeout=10)[0][:3] == ("cordelia/status", b"offline", 1)


def test_base64_mode(cord_mqtt, bed):
    host = cord_mqtt
    host.set("MQTT", "base64", "true")
    data = b"\r\n\x00binary\xff"
    with bed.probe(["cordelia/apple"]) as probe:
        assert connect(host) == CONNACK_0
        assert host.final(b'AT+iotpublish=0,"' + base64.b64encode(data) + b'"') == CORD_OK
        assert probe.wait_for(1)[0][1] == data
        assert host.event("+eventmqtt:recv,") == \
            b'+eventmqtt:recv,cordelia/apple,qos0,"' + base64.b64encode(data) + b'"'
        assert host.error('AT+iotpublish=0,"!!"') == ("invalid input", -2006)


def test_command_errors(cord_mqtt):
    host = cord_mqtt
    assert host.error("AT+iotpublish=0,x") == ("not connected", -2069)
    assert connect(host) == CONNACK_0
    assert host.error("AT+iotconnect") == ("already connected", -2012)
    assert host.error("AT+iotpublish=3,x") == ("invalid topic", -2006)        # empty PUBTOPIC3
    host.set("PUBTOPIC2", "name", '"a/+"')
    assert host.error("AT+iotpublish=2,x") == ("invalid topic", -2006)        # wildcard
    assert host.error("AT+iotpublish=4,x") == ("invalid input", -2006)
    assert host.error("AT+iotpublish=0") == ("invalid input", -2006)


@pytest.mark.parametrize("setting,value,event", [
    ("rootCAPath", '"wrong-ca.pem"', b'+eventmqtt:error,"TLS_FAILED",-468'),
    ("rootCAPath", '"nosuch.pem"', b'+eventmqtt:error,"TLS_FAILED",-454'),
    ("rootCAPath", '""', b'+eventmqtt:error,"TLS_FAILED",-454'),
    ("clientPrivateKey", '"rogue.key"', b'+eventmqtt:error,"TLS_FAILED",-458'),
    ("iotHubEndpoint", '"broker.example.com"', b'+eventmqtt:error,"DNS_FAILED",-6161'),
    ("iotHubEndpoint", '"192.0.2.1"', b'+eventmqtt:error,"CONNECT_FAILED",-111'),
])
def test_connection_failures_as_error_events(cord_mqtt, setting, value, event):
    host = cord_mqtt
    host.set("MQTT", setting, value)
    assert connect(host) == event
    assert host.quiet(0.2) == b""
    assert host.error("AT+iotpublish=0,x") == ("not connected", -2069)


def test_domain_name_mismatch_and_skip_flags(cord_mqtt, bed):
    host = cord_mqtt
    with tempfile.TemporaryDirectory() as tmp:
        with MosquittoBroker(bed.pki, tmp, host="127.0.0.2") as broker:   # not in the SAN
            host.set("MQTT", "iotHubEndpoint", '"127.0.0.2"')
            host.set("MQTT", "iotHubPort", str(broker.port))
            assert connect(host) == b'+eventmqtt:error,"TLS_FAILED",-722'
            host.set("MQTT", "flags", '"url|sec|skip_domain_verify"')
            assert connect(host) == CONNACK_0
            host.ok("AT+iotdisconnect")
            assert host.event("+eventmqtt:") == b'+eventmqtt:info,"DISCONNECT",0'
    host.set("MQTT", "iotHubEndpoint", '"localhost"')            # in the SAN
    host.set("MQTT", "iotHubPort", str(bed.broker.port))
    host.set("MQTT", "rootCAPath", '"wrong-ca.pem"')
    assert connect(host) == b'+eventmqtt:error,"TLS_FAILED",-468'
    host.set("MQTT", "flags", '"url|sec|skip_cert_verify"')
    assert connect(host) == CONNACK_0


def test_missing_client_certificate_is_refused_by_the_broker(cord_mqtt):
    host = cord_mqtt
    host.set("MQTT", "clientCertPath", '""')
    host.set("MQTT", "clientPrivateKey", '""')
    assert connect(host) == b'+eventmqtt:error,"TLS_FAILED",-340'


def test_certificate_of_another_ca_is_refused(cord_mqtt):
    host = cord_mqtt
    host.set("MQTT", "clientCertPath", '"rogue.pem"')
    host.set("MQTT", "clientPrivateKey", '"rogue.key"')
    assert connect(host) == b'+eventmqtt:error,"TLS_FAILED",-340'


def test_broker_down_and_plain_tcp(cord_mqtt, bed):
    host = cord_mqtt
    host.set("MQTT", "iotHubPort", str(free_port()))
    assert connect(host) == b'+eventmqtt:error,"CONNECT_FAILED",-111'
    with tempfile.TemporaryDirectory() as tmp:
        with MosquittoBroker(bed.pki, tmp, plain=True) as broker:
            host.set("MQTT", "iotHubPort", str(broker.plain_port))
            host.set("MQTT", "flags", '"url"')
            assert connect(host) == CONNACK_0


def test_broker_drop_and_wifi_loss(cord_mqtt, bed):
    host = cord_mqtt
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(bed.pki, tmp).start()
        try:
            host.set("MQTT", "iotHubPort", str(broker.port))
            assert connect(host) == CONNACK_0
        finally:
            broker.stop()
        assert host.event("+eventmqtt:", 10) == b'+eventmqtt:info,"DISCONNECT",-107'
    host.set("MQTT", "iotHubPort", str(bed.broker.port))
    assert connect(host) == CONNACK_0
    # the module reports events when they happen: the link's and MQTT's
    # ends may come before or after the OK
    out = host.final("AT+wlanDisconnect")
    assert out.endswith(CORD_OK), out
    lines = out.splitlines()[:-1]
    while len(lines) < 2:
        lines.append(host.events(1)[0])
    assert lines[0].startswith(b"+eventwlan:disconnect"), lines
    assert lines[1] == b'+eventmqtt:info,"DISCONNECT",-107', lines
    assert host.error("AT+iotconnect") == ("not connected", -2069)


def test_connack_refused_code(cord_mqtt, bed):
    """A broker that refuses the client (user name not authorised: rc 5)."""
    host = cord_mqtt
    with tempfile.TemporaryDirectory() as tmp:
        broker = MosquittoBroker(bed.pki, tmp, use_identity_as_username=False)
        broker.config = lambda orig=broker.config: orig().replace(
            "allow_anonymous true", "allow_anonymous false")
        with broker:
            host.set("MQTT", "iotHubPort", str(broker.port))
            assert connect(host) == b'+eventmqtt:info,"CONNACK",5'


def test_connack_timeout(cord_mqtt):
    """A server that accepts TCP and never answers."""
    import socket
    host = cord_mqtt
    host.dialect.connack_timeout = 0.5
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        host.set("MQTT", "iotHubPort", str(server.getsockname()[1]))
        host.set("MQTT", "flags", '"url"')
        t0 = time.monotonic()
        assert connect(host) == b'+eventmqtt:error,"CONNACK_TIMEOUT",-110'
        assert time.monotonic() - t0 >= 0.5


def test_restart_during_connect_and_inject_mode(cord_mqtt, bed):
    host = cord_mqtt
    host.dialect.auto_reconnect = False
    assert host.final("AT+iotconnect") == CORD_OK
    host.modem.reboot("test")
    assert host.port.read_until(CORD_STARTUP).endswith(CORD_STARTUP)
    assert host.quiet(0.5) == b""                       # the old epoch's events are gone
    host.wifi()
    host.dialect.set_option("inject-events", True)
    with bed.probe(["cordelia/apple"]) as probe:
        assert host.final("AT+iotconnect") == CONNACK_0 + b"\r\n" + CORD_OK
        out = host.final(b'AT+iotpublish=0,"' + JSON + b'"')
        assert out == b'+eventmqtt:recv,cordelia/apple,qos0,"' + JSON + b'"\r\n' + CORD_OK
        assert probe.wait_for(1)[0][1] == JSON
        assert host.final("AT+iotdisconnect") == \
            b'+eventmqtt:info,"DISCONNECT",0\r\n' + CORD_OK


def test_subprocess_mqtt_with_probe(bed):
    """python3 -m sim --dialect cordelia, the way the C end-to-end test runs it."""
    from sim.common.testing import SimProcess
    from conftest import CordHost

    class Port:
        pass

    with SimProcess("--dialect", "cordelia", "--option", "wlan-delay=0.01") as sim:
        holder = Port()
        holder.port = sim.open_port()
        holder.modem = holder.dialect = None
        host = CordHost(holder)
        host.port.read_until(CORD_STARTUP)
        host.upload("ca.pem", bed.pki.ca.cert_pem)
        host.upload("c.pem", bed.pki.client.cert_pem)
        host.upload("c.key", bed.pki.client.key_pem)
        for key, value in (("iotHubEndpoint", "127.0.0.1"), ("iotHubPort", bed.broker.port),
                           ("clientId", '"sub"'), ("rootCAPath", "ca.pem"),
                           ("clientCertPath", "c.pem"), ("clientPrivateKey", "c.key")):
            host.set("MQTT", key, value)
        host.set("PUBTOPIC0", "name", "sub/x")
        host.wifi()
        with bed.probe(["sub/#"]) as probe:
            assert connect(host) == CONNACK_0
            assert host.final('AT+iotpublish=0,"hi"') == CORD_OK
            assert probe.wait_for(1)[0][1] == b"hi"
        assert sim.stop() == 0
    assert os.path.exists(bed.pki.ca.cert_path)
