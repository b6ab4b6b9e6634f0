#!/usr/bin/env python3
"""make dist + its test builds: assembles the Arduino library, the PlatformIO
library and the CMake INTERFACE package in build/dist/ from the one header
and examples/packaging/, then proves each is usable by building against it:
  - CMake: a consumer project (tests/dist/) with add_subdirectory + target_link_libraries;
  - PlatformIO: library.json is valid and its srcDir/includeDir hold the
    header, and the consumer builds with only that include path;
  - Arduino: library.properties has the required fields, and the AT sketch
    (examples/arduino/secmodem_demo) builds for the atmega1284p with avr-g++
    against the packaged header and a stand-in core (tests/arduino_stub/);
    tests/e2e/run_arduino.py builds every sketch with the real Arduino core.
Prints "dist: N passed, N failed"."""
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIST = os.path.join(ROOT, "build", "dist")
PKG = os.path.join(ROOT, "examples", "packaging")


def version():
    with open(os.path.join(ROOT, "secmodem.h")) as f:
        m = re.search(r"secmodem\.h - v(\d+\.\d+\.\d+)", f.readline())
    return m.group(1)


def put(src, dst, ver):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src) as f:
        text = f.read().replace("@VERSION@", ver)
    with open(dst, "w") as f:
        f.write(text)


def assemble(ver):
    shutil.rmtree(DIST, ignore_errors=True)
    hdr = os.path.join(ROOT, "secmodem.h")
    ard = os.path.join(DIST, "arduino", "secmodem")
    put(os.path.join(PKG, "arduino", "library.properties"), os.path.join(ard, "library.properties"), ver)
    os.makedirs(os.path.join(ard, "src"))
    shutil.copy(hdr, os.path.join(ard, "src"))
    # examples/arduino: src/ holds the Arduino port (Serial, Wire), the
    # library's next to the header; every other folder is an example sketch
    src = os.path.join(ROOT, "examples", "arduino")
    for name in sorted(os.listdir(src)):
        if name == "src":
            for port in sorted(os.listdir(os.path.join(src, "src"))):
                shutil.copy(os.path.join(src, "src", port), os.path.join(ard, "src"))
        else:
            shutil.copytree(os.path.join(src, name), os.path.join(ard, "examples", name))
    shutil.copy(os.path.join(ROOT, "LICENSE"), ard)
    pio = os.path.join(DIST, "platformio", "secmodem")
    put(os.path.join(PKG, "platformio", "library.json"), os.path.join(pio, "library.json"), ver)
    os.makedirs(os.path.join(pio, "src"))
    shutil.copy(hdr, os.path.join(pio, "src"))
    shutil.copy(os.path.join(ROOT, "LICENSE"), pio)
    cm = os.path.join(DIST, "cmake", "secmodem")
    put(os.path.join(PKG, "cmake", "CMakeLists.txt"), os.path.join(cm, "CMakeLists.txt"), ver)
    shutil.copy(hdr, cm)
    shutil.copy(os.path.join(ROOT, "LICENSE"), cm)
    return ard, pio, cm


def run(cmd, **kw):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    return res.returncode, res.stdout


def check_cmake(cm):
    if not shutil.which("cmake"):
        return "cmake missing (apt-get install -y cmake)"
    build = os.path.join(DIST, "cmake-consumer")
    rc, out = run(["cmake", "-S", os.path.join(ROOT, "tests", "dist"), "-B", build,
                   f"-DSECMODEM_DIR={cm}"])
    if rc:
        return "configure failed: " + out[-400:]
    rc, out = run(["cmake", "--build", build])
    if rc:
        return "build failed: " + out[-400:]
    rc, out = run([os.path.join(build, "consumer")])
    return None if rc == 0 and "packaged secmodem" in out else "consumer failed: " + out


def check_platformio(pio):
    with open(os.path.join(pio, "library.json")) as f:
        meta = json.load(f)
    for key in ("name", "version", "description", "license", "frameworks", "platforms"):
        if key not in meta:
            return f"library.json lacks {key}"
    inc = os.path.join(pio, meta["build"]["includeDir"])
    if not os.path.exists(os.path.join(inc, "secmodem.h")):
        return "the header is not in includeDir"
    exe = os.path.join(DIST, "pio-consumer")
    rc, out = run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", inc,
                   os.path.join(ROOT, "tests", "dist", "consumer.c"), "-o", exe])
    if rc:
        return "build failed: " + out[-400:]
    rc, out = run([exe])
    return None if rc == 0 else "consumer failed"


def check_arduino(ard):
    props = {}
    with open(os.path.join(ard, "library.properties")) as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                props[k.strip()] = v.strip()
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category",
                "url", "architectures"):
        if not props.get(key):
            return f"library.properties lacks {key}"
    if not shutil.which("avr-g++"):
        return "avr-g++ missing (apt-get install -y gcc-avr avr-libc)"
    sketch = os.path.join(ard, "examples", "secmodem_demo")
    elf = os.path.join(DIST, "sketch.elf")
    rc, out = run(["avr-g++", "-mmcu=atmega1284p", "-Os", "-std=gnu++11", "-Wall", "-Wextra",
                   "-Wpedantic", "-Wconversion", "-Wshadow", "-Werror", "-fno-exceptions",
                   "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections",
                   "-I", os.path.join(ROOT, "tests", "arduino_stub"), "-I", os.path.join(ard, "src"),
                   "-I", sketch, "-x", "c++", os.path.join(sketch, "secmodem_demo.ino"), "-x", "none",
                   os.path.join(ROOT, "tests", "arduino_stub", "core.cpp"), "-o", elf])
    if rc:
        return "sketch build failed: " + out[-600:]
    rc, out = run(["avr-size", elf])
    print("  sketch size (atmega1284p):\n  " + out.strip().replace("\n", "\n  "))
    return None


def main():
    ver = version()
    ard, pio, cm = assemble(ver)
    print(f"assembled secmodem {ver} in {os.path.relpath(DIST, ROOT)}/ (arduino, platformio, cmake)")
    passed = failed = 0
    for name, fn, arg in (("CMake INTERFACE target", check_cmake, cm),
                          ("PlatformIO library", check_platformio, pio),
                          ("Arduino library", check_arduino, ard)):
        err = fn(arg)
        if err:
            failed += 1
            print(f"FAIL {name}: {err}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"dist: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
