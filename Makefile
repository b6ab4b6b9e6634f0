# secmodem - build, test and demo.
#   make test    every test (C unit tests under sanitizers, strict builds for
#                gcc/clang/g++/Cortex-M/AVR, simulator tests, live tests)
#   make demo    the demo: example firmware against the simulator
# The Python side needs Debian's python3-serial and python3-pytest; PYTHON
# picks the first interpreter that has them (Debian's packages are seen by
# /usr/bin/python3, not by a pyenv python3 earlier on PATH).

PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
            $$p -c 'import serial, pytest' >/dev/null 2>&1 && { echo $$p; break; }; done)
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
all: unit-bins cross $(B)/demo_generic $(B)/cpu_at $(B)/secmodem-replay

$(B):
	@mkdir -p $(B)

# ---- unit and live test binaries ------------------------------------------
$(B)/test_at_asan: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) $< -o $@
$(B)/test_at_clang: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CLANG) $(STRICT) $(TESTW) -O2 -fsanitize=undefined -fno-sanitize-recover=all $< -o $@
$(B)/test_at_cxx: tests/test_at.c tests/sm_test.h $(HDR) | $(B)
	$(CXX) -x c++ $(WARN) -Wno-old-style-cast -O1 $< -o $@
$(B)/test_cordelia_asan: tests/test_cordelia.c tests/sm_test.h $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) $< -o $@
$(B)/test_cordelia_clang: tests/test_cordelia.c tests/sm_test.h $(HDR) | $(B)
	$(CLANG) $(STRICT) $(TESTW) -O2 -fsanitize=undefined -fno-sanitize-recover=all $< -o $@
$(B)/test_cordelia_cxx: tests/test_cordelia.c tests/sm_test.h $(HDR) | $(B)
	$(CXX) -x c++ $(WARN) -Wno-old-style-cast -O1 $< -o $@
$(B)/test_live: tests/test_live.c $(POSIX) tests/sm_test.h $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) tests/test_live.c examples/posix/sm_posix.c -o $@
unit-bins: $(B)/test_at_asan $(B)/test_at_clang $(B)/test_at_cxx $(B)/test_live \
           $(B)/test_cordelia_asan $(B)/test_cordelia_clang $(B)/test_cordelia_cxx

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

$(B)/cpu_at: tests/bench/cpu_at.c $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) -O2 -g $< -o $@

# ---- examples ----------------------------------------------------------------
$(B)/demo_generic: examples/posix/demo_generic.c $(POSIX) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 examples/posix/demo_generic.c examples/posix/sm_posix.c -o $@

$(B)/secmodem-replay: examples/replay/secmodem_replay.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 $< -o $@

# ---- entry points -------------------------------------------------------------
check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No python3 with pyserial and pytest found."; \
	  echo "Install them with: sudo apt-get install -y python3-serial python3-pytest"; \
	  exit 1; fi

test: check-python
	$(PYTHON) tests/run_all.py

demo: check-python $(B)/demo_generic
	$(PYTHON) tests/run_demo.py $(B)/demo_generic

clean:
	rm -rf $(B)

# ---- reports ------------------------------------------------------------------
.PHONY: bench
bench: check-python
	$(PYTHON) tests/bench/bench.py
