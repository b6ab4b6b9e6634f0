"""Cordelia-I dialect: the file system (PEM files in memory).

Contract section "File system".
"""

import base64
import re

from conftest import CORD_OK, CORD_STARTUP, SSID, WIFI_KEY

TRICKY = bytes(range(256)) + b"\r\nOK\r\nERROR:x,-1\r\n+eventsock:closed,1\r\n\r\n"


def open_file(host, name, flags, size=4096):
    out = host.ok(f"AT+fileOpen={name},{flags},{size}")
    m = re.fullmatch(rb"\+fileopen:(\d+),0\r\n", out)
    assert m, out
    fid = int(m.group(1))
    assert 0 < fid <= 0xFFFFFFFF
    return fid


def write(host, fid, offset, data, fmt=0):
    body = base64.b64encode(data) if fmt == 1 else data
    return host.final(f"AT+fileWrite={fid},{offset},{fmt},{len(body)},", body)


def read_b64(host, fid, offset, n):
    out = host.ok(f"AT+fileRead={fid},{offset},1,{n}")
    m = re.fullmatch(rb"\+fileread:1,(\d+),([A-Za-z0-9+/=]*)\r\n", out)
    assert m, out
    data = base64.b64decode(m.group(2))
    assert len(m.group(2)) == int(m.group(1))     # Base64 characters (Würth's parser)
    return data


def test_binary_write_with_cr_lf_and_every_byte_then_base64_read(cord):
    fid = open_file(cord, "blob.bin", "CREATE|WRITE")
    assert write(cord, fid, 0, TRICKY) == b"+filewrite:%d\r\n" % len(TRICKY) + CORD_OK
    assert cord.quiet(0.1) == b""                 # the payload's "OK" lines were data
    assert cord.final(f"AT+fileClose={fid},,") == CORD_OK
    rid = open_file(cord, "blob.bin", "READ", 0)
    got = read_b64(cord, rid, 0, 100) + read_b64(cord, rid, 100, 1460)
    assert got == TRICKY
    assert read_b64(cord, rid, len(TRICKY), 16) == b""          # at the end: 0 bytes
    assert read_b64(cord, rid, 10000, 16) == b""
    assert cord.final(f"AT+fileClose={rid},,") == CORD_OK


def test_base64_write_at_decoded_offsets_and_binary_read(cord):
    fid = open_file(cord, "b64.bin", "CREATE|WRITE", 1024)
    assert write(cord, fid, 0, TRICKY[:150], fmt=1) == b"+filewrite:150\r\n" + CORD_OK
    assert write(cord, fid, 150, TRICKY[150:], fmt=1) == \
        b"+filewrite:%d\r\n" % (len(TRICKY) - 150) + CORD_OK
    assert cord.error(f"AT+fileWrite={fid},0,1,4,", b"!!!!") == ("invalid input", -2006)
    cord.ok(f"AT+fileClose={fid},,")
    rid = open_file(cord, "b64.bin", "READ", 0)
    cord.send(f"AT+fileRead={rid},0,0,1460")
    head = b"+fileread:0,%d," % len(TRICKY)
    assert cord.port.read_exactly(len(head)) == head
    assert cord.port.read_exactly(len(TRICKY)) == TRICKY
    assert cord.port.read_exactly(2 + len(CORD_OK)) == b"\r\n" + CORD_OK


def test_data_visible_only_after_close_and_write_replaces(cord):
    cord.upload("cfg.txt", b"old content")
    fid = open_file(cord, "cfg.txt", "WRITE")           # existing: starts empty
    assert write(cord, fid, 0, b"new") == b"+filewrite:3\r\n" + CORD_OK
    rid = open_file(cord, "cfg.txt", "READ", 0)
    assert read_b64(cord, rid, 0, 100) == b"old content"
    listing = cord.ok("AT+fileGetFileList")
    assert b"+filegetfilelist:cfg.txt,11,open_write|open_read,1\r\n" in listing
    cord.ok(f"AT+fileClose={fid},,")
    assert read_b64(cord, rid, 0, 100) == b"old content"        # opened before the commit
    cord.ok(f"AT+fileClose={rid},,")
    rid = open_file(cord, "cfg.txt", "READ", 0)
    assert read_b64(cord, rid, 0, 100) == b"new"
    assert cord.ok("AT+fileGetInfo=cfg.txt,0") == b"+filegetinfo:open_read,3,4096,,8192,2\r\n"


def test_open_flags_and_errors(cord):
    cord.upload("a.pem", b"A")
    assert cord.error("AT+fileOpen=missing,READ,0") == ("file not found", -10341)
    assert cord.error("AT+fileOpen=missing,WRITE,0") == ("file not found", -10341)
    assert cord.error("AT+fileOpen=a.pem,CREATE|WRITE,1024") == ("file exists", -10326)
    assert cord.error("AT+fileOpen=a.pem,READ|WRITE,1024") == ("wrong open flags", -10340)
    assert cord.error("AT+fileOpen=a.pem,OVERWRITE,1024") == ("wrong open flags", -10340)
    assert cord.error("AT+fileOpen=a.pem,BOGUS,1024") == ("wrong open flags", -10340)
    assert cord.error("AT+fileOpen=new,CREATE,0") == ("invalid input", -2006)
    assert cord.error("AT+fileOpen=huge,CREATE,2000000") == ("not enough storage", -10322)
    assert cord.error("AT+fileOpen=" + "n" * 181 + ",CREATE,1024") == ("invalid input", -2006)
    fid = open_file(cord, "a.pem", "CREATE|OVERWRITE", 2048)   # the QuarkLink example's flags
    assert write(cord, fid, 0, b"x" * 100) == b"+filewrite:100\r\n" + CORD_OK
    cord.ok(f"AT+fileClose={fid},,")
    assert cord.ok("AT+fileGetInfo=a.pem,0") == b"+filegetinfo:,100,4096,,8192,2\r\n"


def test_lengths_offsets_and_max_size(cord):
    fid = open_file(cord, "m.bin", "CREATE|WRITE", 2000)
    assert cord.error(f"AT+fileWrite={fid},0,0,1461,", b"x" * 1461) == ("invalid input", -2006)
    assert write(cord, fid, 0, b"x" * 1460) == b"+filewrite:1460\r\n" + CORD_OK
    assert cord.error(f"AT+fileWrite={fid},1461,0,1,", b"y") == ("offset out of range", -10337)
    assert cord.error(f"AT+fileWrite={fid},1460,0,541,", b"y" * 541) == \
        ("max size exceeded", -10310)
    assert write(cord, fid, 1460, b"y" * 540) == b"+filewrite:540\r\n" + CORD_OK
    assert write(cord, fid, 0, b"z") == b"+filewrite:1\r\n" + CORD_OK  # overwrite in place
    assert cord.error(f"AT+fileRead={fid},0,1,10") == ("wrong open flags", -10340)
    assert cord.error(f"AT+fileWrite={fid},0,0,3") == ("invalid input", -2006)  # no data
    cord.ok(f"AT+fileClose={fid},,")
    assert cord.error(f"AT+fileWrite={fid},0,0,1,", b"q") == ("invalid handle", -10335)
    assert cord.ok("AT+fileGetInfo=m.bin,0") == b"+filegetinfo:,2000,4096,,8192,1\r\n"


def test_delete_info_list(cord):
    cord.upload("/ql/ql_ca.pem", b"c" * 5000)
    cord.upload("cert.pem", b"pem")
    assert cord.ok("AT+fileGetFileList") == (b"+filegetfilelist:/ql/ql_ca.pem,5000,,2\r\n"
                                              b"+filegetfilelist:cert.pem,3,,1\r\n")
    assert cord.ok("AT+fileGetInfo=/ql/ql_ca.pem,0") == b"+filegetinfo:,5000,8192,,16384,1\r\n"
    assert cord.ok("AT+fileDel=cert.pem,0") == b""
    assert cord.error("AT+fileDel=cert.pem,0") == ("file not found", -10341)
    assert cord.error("AT+fileGetInfo=cert.pem,0") == ("file not found", -10341)
    assert cord.ok("AT+fileGetFileList") == b"+filegetfilelist:/ql/ql_ca.pem,5000,,2\r\n"


def test_too_many_open_files(cord):
    cord.upload("r", b"r")
    fids = [open_file(cord, "r", "READ", 0) for _ in range(8)]
    assert len(set(fids)) == 8
    assert cord.error("AT+fileOpen=r,READ,0") == ("too many open files", -10316)
    cord.ok(f"AT+fileClose={fids[0]},,")
    open_file(cord, "r", "READ", 0)


def test_writes_refused_while_wifi_is_connected(cord):
    cord.upload("w", b"w")
    cord.wifi()
    assert cord.error("AT+fileOpen=cert.pem,CREATE|WRITE,4096") == ("wlan connected", -2013)
    assert cord.error("AT+fileOpen=w,WRITE,0") == ("wlan connected", -2013)
    assert cord.error("AT+fileDel=w,0") == ("wlan connected", -2013)
    rid = open_file(cord, "w", "READ", 0)                     # reading is fine
    assert read_b64(cord, rid, 0, 10) == b"w"
    cord.ok("AT+wlanDisconnect")
    cord.event("+eventwlan:disconnect,")
    open_file(cord, "cert.pem", "CREATE|WRITE", 4096)


def test_reboot_during_a_transfer_loses_the_uncommitted_write(cord):
    cord.upload("ca.pem", b"committed")
    fid = open_file(cord, "ca.pem", "CREATE|WRITE|OVERWRITE", 4096)
    cord.port.write(f"AT+fileWrite={fid},0,0,1000,".encode() + b"\r\n" * 100)  # 200 of 1000
    cord.modem.reboot("test")
    assert cord.port.read_until(CORD_STARTUP) == CORD_STARTUP
    assert cord.final("AT+test") == CORD_OK                 # in sync again, no stray ERROR
    assert cord.error(f"AT+fileClose={fid},,") == ("invalid handle", -10335)
    rid = open_file(cord, "ca.pem", "READ", 0)
    assert read_b64(cord, rid, 0, 100) == b"committed"
    assert cord.ok("AT+fileGetInfo=ca.pem,0").endswith(b",1\r\n")


def test_payload_timeout_answers_an_error_and_resyncs(cord):
    cord.dialect.payload_timeout = 0.3
    fid = open_file(cord, "t", "CREATE|WRITE", 1024)
    cord.port.write(f"AT+fileWrite={fid},0,0,10,abc".encode())
    assert cord.port.read_until(b"\r\n", 2) == b"ERROR:invalid input,-2006\r\n"
    assert cord.final("AT+test") == CORD_OK


def test_upload_with_wifi_key_flow_like_the_seed(cord):
    """The hands-on session: open WRITE|CREATE, one 1452-byte write, close."""
    pem = (b"-----BEGIN CERTIFICATE-----\r\n" + b"A" * 64 + b"\r\n") * 16
    pem = pem[:1452]
    fid = open_file(cord, "cert.pem", "WRITE|CREATE", 4096)
    assert write(cord, fid, 0, pem) == b"+filewrite:1452\r\n" + CORD_OK
    assert cord.final(f"AT+FileClose={fid},,") == CORD_OK
    cord.ok(f"AT+wlanConnect={SSID},,WPA_WPA2,{WIFI_KEY},,,")
    cord.event("+eventnetapp:")
    rid = open_file(cord, "cert.pem", "READ", 0)
    assert read_b64(cord, rid, 0, 1460) == pem


def test_variants_fileread_count_and_getinfo(cord):
    """fileread-count=bytes counts decoded bytes; getinfo=number gives numeric
    flags and tokens; getinfo=text names the open state."""
    fid = open_file(cord, "v.txt", "CREATE|WRITE")
    assert write(cord, fid, 0, b"hello") == b"+filewrite:5\r\n" + CORD_OK
    cord.ok(f"AT+fileClose={fid},,")
    fid = open_file(cord, "v.txt", "READ")
    assert cord.ok(f"AT+fileRead={fid},0,1,5") == b"+fileread:1,8,aGVsbG8=\r\n"
    assert cord.ok("AT+fileGetInfo=v.txt,0") == b"+filegetinfo:open_read,5,4096,,8192,1\r\n"
    cord.dialect.set_option("fileread-count", "bytes")
    cord.dialect.set_option("getinfo", "number")
    assert cord.ok(f"AT+fileRead={fid},0,1,5") == b"+fileread:1,5,aGVsbG8=\r\n"
    assert cord.ok("AT+fileGetInfo=v.txt,0") == b"+filegetinfo:0,5,4096,0,8192,1\r\n"
