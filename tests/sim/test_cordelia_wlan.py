"""Cordelia-I dialect: simulated Wi-Fi association.

Contract section "Wi-Fi".
"""

import time

from conftest import CORD_FAST, CORD_OK, CORD_STARTUP, SSID, WIFI_KEY
from sim.dialects.cordelia import bssid_of

IP_EVENT = b"+eventnetapp:ipv4_acquired,127.0.0.1,127.0.0.1,127.0.0.1"


def test_connect_events_after_ok_with_delay(cord):
    t0 = time.monotonic()
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == CORD_OK
    bssid = bssid_of(SSID).encode()
    assert cord.events(2) == [b"+eventwlan:connect,%s,%s" % (SSID.encode(), bssid), IP_EVENT]
    assert time.monotonic() - t0 >= CORD_FAST["wlan_delay"]
    assert bssid.startswith(b"0x02:0x57:") and bssid.count(b":") == 5


def test_unlisted_network_associates_with_any_key_and_spaces_in_ssid(cord):
    assert cord.final("AT+wlanconnect=my home,,WPA3,whatever-key,,,") == CORD_OK
    assert cord.event("+eventwlan:connect,").startswith(b"+eventwlan:connect,my home,0x")
    assert cord.event("+eventnetapp:") == IP_EVENT


def test_wrong_key_or_security_for_a_listed_network(cord):
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,wrongpassword,,,") == CORD_OK
    assert cord.events(1) == [f"+eventwlan:disconnect,{SSID},,-2058".encode()]
    assert cord.final(f"AT+wlanConnect={SSID},,OPEN,,,,") == CORD_OK
    assert cord.events(1) == [f"+eventwlan:disconnect,{SSID},,-2058".encode()]
    assert cord.quiet(0.1) == b""
    assert cord.error("AT+iotconnect") == ("not connected", -2069)


def test_open_network_and_unknown_networks_when_not_accepted(cord):
    cord.dialect.set_option("networks", "cafe=;lab=12345678")
    cord.dialect.set_option("any-network", False)
    assert cord.final("AT+wlanConnect=cafe,,OPEN,,,,") == CORD_OK
    assert cord.event("+eventwlan:connect,").startswith(b"+eventwlan:connect,cafe,")
    cord.event("+eventnetapp:")
    assert cord.ok("AT+wlanDisconnect") == b""
    cord.event("+eventwlan:disconnect,cafe,")
    assert cord.final("AT+wlanConnect=elsewhere,,WPA_WPA2,12345678,,,") == CORD_OK
    assert cord.events(1) == [b"+eventwlan:disconnect,elsewhere,,-110"]


def test_argument_checks(cord):
    assert cord.error("AT+wlanConnect=,,WPA_WPA2,12345678,,,") == ("invalid SSID length", -2060)
    assert cord.error("AT+wlanConnect=" + "s" * 33 + ",,WPA_WPA2,12345678,,,") == \
        ("invalid SSID length", -2060)
    assert cord.error("AT+wlanConnect=x,,WEP,12345678,,,") == ("invalid security type", -2054)
    assert cord.error("AT+wlanConnect=x,,WPA_WPA2,short,,,") == ("invalid key", -2058)
    assert cord.error("AT+wlanConnect=x,,WPA_WPA2," + "k" * 65 + ",,,") == ("invalid key", -2058)
    assert cord.error("AT+wlanConnect=x,,WPA_WPA2") == ("invalid input", -2006)
    assert cord.ok("AT+wlanSet=general,country_code,EU") == b""


def test_disconnect_then_not_connected(cord):
    cord.wifi()
    bssid = bssid_of(SSID)
    assert cord.final("AT+wlanDisconnect") == CORD_OK
    assert cord.events(1) == [f"+eventwlan:disconnect,{SSID},{bssid},0".encode()]
    assert cord.error("AT+wlanDisconnect") == ("not connected", -2071)


def test_disconnect_during_association_cancels_it_silently(cord):
    cord.dialect.wlan_delay = 0.3
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == CORD_OK
    assert cord.final("AT+wlanDisconnect") == CORD_OK
    assert cord.quiet(0.5) == b""


def test_connect_again_to_the_same_network_and_to_another(cord):
    cord.wifi()
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == CORD_OK
    assert cord.events(2)[1] == IP_EVENT                      # no disconnect in between
    assert cord.final("AT+wlanConnect=other,,WPA_WPA2,12345678,,,") == CORD_OK
    first, second, third = cord.events(3)
    assert first.startswith(f"+eventwlan:disconnect,{SSID},0x".encode()) and first.endswith(b",0")
    assert second.startswith(b"+eventwlan:connect,other,") and third == IP_EVENT


def test_auto_reconnect_after_restart_and_not_after_factory_reset(cord):
    cord.wifi()
    cord.reboot()
    assert cord.events(2)[1] == IP_EVENT                      # rejoined by itself
    assert cord.error("AT+fileOpen=x,CREATE,1024") == ("wlan connected", -2013)
    cord.dialect.set_option("auto-reconnect", False)
    cord.reboot()
    assert cord.quiet(0.2) == b""
    cord.dialect.set_option("auto-reconnect", True)
    cord.wifi()
    assert cord.final("AT+factoryreset") == CORD_OK
    assert cord.port.read_until(CORD_STARTUP).endswith(CORD_STARTUP)
    assert cord.quiet(0.2) == b""


def test_control_reboot_drops_wifi_state(cord):
    cord.dialect.set_option("auto-reconnect", False)
    cord.wifi()
    cord.modem.reboot("test")
    assert cord.port.read_until(CORD_STARTUP) == CORD_STARTUP
    assert cord.error("AT+wlanDisconnect") == ("not connected", -2071)


def test_wlan_mode_is_stored_and_applies_at_the_next_start_up(cord):
    assert cord.error("AT+wlanSetMode=MESH") == ("invalid input", -2006)
    assert cord.ok("AT+wlanSetMode=AP") == b""
    # still a station until the restart
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == CORD_OK
    cord.event("+eventnetapp:")
    cord.reboot()
    assert cord.quiet(0.3) == b""    # no auto-reconnect as an access point
    assert cord.error(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == \
        ("not in station role", -2006)
    assert cord.ok("AT+wlansetmode=sta") == b""
    cord.reboot()
    assert cord.final(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,") == CORD_OK
    assert cord.event("+eventnetapp:") == IP_EVENT
