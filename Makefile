# secmodem - build, test and demo.
#   make test    every test (C unit tests under sanitizers, strict builds for
#                gcc/clang/g++/Cortex-M/AVR, simulator tests, live tests)
#   make demo    the demo: example firmware against the simulator
# The Python side needs Debian's python3-serial, python3-pytest,
# python3-paho-mqtt and python3-cryptography (and the mosquitto package for the
# test bed); PYTHON picks the first interpreter that has the modules (Debian's
# packages are seen by /usr/bin/python3, not by a pyenv python3 earlier on PATH).

PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
            $$p -c 'import serial, pytest, paho.mqtt.client, cryptography' >/dev/null 2>&1 \
            && { echo $$p; break; }; done)
CC      ?= gcc
CLANG   ?= clang
CXX     ?= g++
ARM_CC  ?= arm-none-eabi-gcc
AVR_CC  ?= avr-gcc
B       := build

WARN    := -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror
STRICT  := -std=c99 $(WARN)
SAN     := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# test code may compare signed and unsigned freely; the library may not
TESTW   := -Wno-sign-conversion
HDR     := secmodem.h
POSIX   := examples/posix/sm_posix.c examples/posix/sm_posix.h

.PHONY: all test demo check-python cross clean unit-bins
all: unit-bins cross $(B)/demo_generic

$(B):
	@mkdir -p $(B)

# ---- unit and live test binaries ------------------------------------------
$(B)/test_at_asan: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) $< -o $@
$(B)/test_at_clang: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CLANG) $(STRICT) $(TESTW) -O2 -fsanitize=undefined -fno-sanitize-recover=all $< -o $@
$(B)/test_at_cxx: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CXX) -x c++ $(WARN) -Wno-old-style-cast -O1 $< -o $@
$(B)/test_live: tests/test_live.c $(POSIX) tests/sm_test.h $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) tests/test_live.c examples/posix/sm_posix.c -o $@
unit-bins: $(B)/test_at_asan $(B)/test_at_clang $(B)/test_at_cxx $(B)/test_live

# ---- strict builds of the whole header for every supported toolchain -------
$(B)/check-gcc.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -c $< -o $@
$(B)/check-clang.o: tests/compile_check.c $(HDR) | $(B)
	$(CLANG) $(STRICT) -O2 -c $< -o $@
$(B)/check-cxx.o: tests/compile_check.c $(HDR) | $(B)
	$(CXX) -x c++ $(WARN) -O2 -c $< -o $@
$(B)/check-cm0.o: tests/compile_check.c $(HDR) | $(B)
	$(ARM_CC) $(STRICT) -mcpu=cortex-m0plus -mthumb -Os -c $< -o $@
$(B)/check-cm4.o: tests/compile_check.c $(HDR) | $(B)
	$(ARM_CC) $(STRICT) -mcpu=cortex-m4 -mthumb -Os -c $< -o $@
$(B)/check-avr.o: tests/compile_check.c $(HDR) | $(B)
	$(AVR_CC) $(STRICT) -mmcu=atmega1284p -Os -c $< -o $@
cross: $(B)/check-gcc.o $(B)/check-clang.o $(B)/check-cxx.o $(B)/check-cm0.o \
       $(B)/check-cm4.o $(B)/check-avr.o

# ---- examples ----------------------------------------------------------------
$(B)/demo_generic: examples/posix/demo_generic.c $(POSIX) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 examples/posix/demo_generic.c examples/posix/sm_posix.c -o $@

# ---- entry points -------------------------------------------------------------
check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No python3 with pyserial, pytest, paho-mqtt and cryptography found."; \
	  echo "Install them with: sudo apt-get install -y python3-serial python3-pytest" \
	       "python3-paho-mqtt python3-cryptography mosquitto mosquitto-clients openssl"; \
	  exit 1; fi

test: check-python
	@if [ ! -x /usr/sbin/mosquitto ]; then \
	  echo "No /usr/sbin/mosquitto (the test bed's broker): sudo apt-get install -y mosquitto"; \
	  exit 1; fi
	$(PYTHON) tests/run_all.py

demo: check-python $(B)/demo_generic
	$(PYTHON) tests/run_demo.py $(B)/demo_generic

clean:
	rm -rf $(B)
