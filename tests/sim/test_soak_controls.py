"""What the soak and fault-scenario tests (tests/e2e/run_soak.py,
tests/e2e/run_fault_scenarios.py) need from the simulator and the test bed:

  * control "drop": the network loses the MQTT connection or the sockets now
    (+SQNSH; +SQNSMQTTONDISCONNECT:0,-7 with disconnect-urc=on, else the
    modem's silent resume), as when the path fails;
  * control "commands" with "last": the tail of the command log;
  * MosquittoBroker.restart() on the same port, with persistence: a probe
    with a persistent session gets what was published across the restart;
  * MosquittoBroker.kick(): the broker closes one client's TLS connection;
  * MqttProbe with a clean session subscribes again after a reconnection.
"""

import time

import pytest

from conftest import OK
from sim.common.control import handle_request
from sim.network.testbed import MqttProbe, TestBed
from sim.common.testing import wait_for
from test_sequans_mqtt import connect, publish
from test_sequans_socket import open_socket


def test_drop_mqtt_reports_a_broker_side_loss(sqn_tls, bed):
    host = sqn_tls
    host.dialect.set_option("disconnect-urc", "on")   # the GM02SP itself stays silent
    assert connect(host, bed.broker.port, client_id="drop-me") == 0
    reply = handle_request(host.modem, {"cmd": "drop", "what": "mqtt"})
    assert reply == {"ok": True, "dropped": ["mqtt"]}
    assert host.urc("+SQNSMQTTONDISCONNECT:", timeout=5) == b"+SQNSMQTTONDISCONNECT:0,-7"
    # gone for the modem too: nothing to drop, publishing is refused
    assert handle_request(host.modem, {"cmd": "drop", "what": "mqtt"})["dropped"] == []
    assert host.cme('AT+SQNSMQTTPUBLISH=0,"t/x",1,3') == 3
    # and the client connects again
    assert connect(host, bed.broker.port, client_id="drop-me") == 0


def test_drop_sockets_is_a_remote_close(sqn_tls, bed):
    host = sqn_tls
    assert open_socket(host, 1, bed.echo.port, sp_id=2).endswith(OK)
    reply = handle_request(host.modem, {"cmd": "drop", "what": "all"})
    assert reply == {"ok": True, "dropped": ["socket 1"]}  # no MQTT connection here
    assert host.urc("+SQNSH:", timeout=5) == b"+SQNSH: 1"
    assert b"+SQNSS: 1,0" in host.ok("AT+SQNSS")


def test_drop_refuses_unknown_targets_and_dialects(sqn, sim):
    with pytest.raises(ValueError):
        handle_request(sqn.modem, {"cmd": "drop", "what": "radio"})
    with pytest.raises(ValueError):
        handle_request(sim.modem, {"cmd": "drop", "what": "mqtt"})  # generic: no links


def test_commands_last(quiet_sim):
    for line in (b"AT", b"AT+GMR", b"ATI"):
        quiet_sim.port.command(line)
    modem = quiet_sim.modem
    assert handle_request(modem, {"cmd": "commands", "last": 2}) == \
        {"ok": True, "commands": ["AT+GMR", "ATI"], "total": 4}  # ATE0 of the fixture
    assert handle_request(modem, {"cmd": "commands", "last": 0})["commands"] == []
    assert handle_request(modem, {"cmd": "commands", "last": 9})["commands"][-1] == "ATI"
    for bad in (-1, "2", True):
        with pytest.raises(ValueError):
            handle_request(modem, {"cmd": "commands", "last": bad})


def test_broker_restart_same_port_persistent_probe():
    with TestBed(echo=False, https=False, mqtt_persistence=True) as bed:
        broker = bed.broker
        port = broker.port
        with bed.probe(["soak/#"], qos=1, client_id="persistent-probe",
                       clean_session=False) as probe, \
                MqttProbe(broker, bed.pki.client, client_id="publisher") as pub:
            pub.publish("soak/a", b"before", qos=1)
            probe.wait_for(1)
            broker.restart(down_s=0.3)
            assert broker.port == port and broker.running and broker.restarts == 1
            # the publisher comes back first: its messages wait for the probe
            wait_for(lambda: pub.connects >= 2, timeout=10)
            pub.publish("soak/a", b"after", qos=1)
            got = probe.wait_for(2, timeout=10)
            assert [m[1] for m in got] == [b"before", b"after"]
            assert probe.connects >= 2


def test_broker_restart_clean_probe_subscribes_again():
    with TestBed(echo=False, https=False) as bed:
        with bed.probe(["t/#"], qos=1, client_id="clean-probe") as probe, \
                MqttProbe(bed.broker, bed.pki.client, client_id="pub") as pub:
            bed.broker.pause()
            assert not bed.broker.running
            time.sleep(0.2)
            bed.broker.resume()
            wait_for(lambda: probe.connects >= 2 and pub.connects >= 2, timeout=10)
            # the probe's SUBSCRIBE goes out right after its CONNACK; give it a moment
            deadline = time.monotonic() + 10
            while not probe.messages and time.monotonic() < deadline:
                pub.publish("t/x", b"again", qos=1)
                time.sleep(0.2)
            assert probe.messages and probe.messages[0][1] == b"again"


def test_kick_closes_the_modem_connection(sqn_tls, bed):
    host = sqn_tls
    host.dialect.set_option("disconnect-urc", "on")   # the GM02SP itself stays silent
    assert connect(host, bed.broker.port, client_id="kick-me") == 0
    assert bed.broker.kick("kick-me")
    assert host.urc("+SQNSMQTTONDISCONNECT:", timeout=5) == b"+SQNSMQTTONDISCONNECT:0,-7"
    assert connect(host, bed.broker.port, client_id="kick-me") == 0
    pmid, line = publish(host, "t/kick", 1, b"still works")
    assert line == b"+SQNSMQTTONPUBLISH:0,%d,0" % pmid
