# secmodem - build, test and demo.
#   make test    every test (C unit tests under sanitizers, strict builds for
#                gcc/clang/g++/Cortex-M/AVR, simulator tests, live tests)
#   make demo    the demo: mutual-TLS MQTT, the key in the ATECC608, through the
#                simulated Sequans modem (DIALECT=cordelia: the Cordelia-I)
#   make demo-at the AT-engine demo (a scripted session with a generic modem)
#   make demo-qemu   the demo as bare-metal Cortex-M3 firmware in QEMU (mps2-an385)
#   make demo-qemu-at  the AT-engine demo on the same board
#                against the simulator
#   make soak    the long soak: 1000 QoS 1 publishes through 30 injected faults,
#                0 lost (make test runs a short one)
# The Python side needs Debian's python3-serial, python3-pytest,
# python3-paho-mqtt and python3-cryptography (and the mosquitto package for the
# test bed, libssl-dev for the simulator's host-signing TLS helper); PYTHON
# picks the first interpreter that has the modules (Debian's packages are
# seen by /usr/bin/python3, not by a pyenv python3 earlier on PATH).

PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
            $$p -c 'import serial, pytest, paho.mqtt.client, cryptography' >/dev/null 2>&1 \
            && { echo $$p; break; }; done)
CC      ?= gcc
CLANG   ?= clang
CXX     ?= g++
ARM_CC  ?= arm-none-eabi-gcc
ARM_NM  ?= arm-none-eabi-nm
ARM_SIZE ?= arm-none-eabi-size
QEMU_ARM ?= qemu-system-arm
AVR_CC  ?= avr-gcc
B       := build

WARN    := -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror
# -I.: the POSIX port includes "secmodem.h" as copied code would
STRICT  := -std=c99 -I. $(WARN)
SAN     := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# test code may compare signed and unsigned freely; the library may not
TESTW   := -Wno-sign-conversion
HDR     := secmodem.h
POSIX   := examples/posix/sm_posix.c examples/posix/sm_posix.h
BRIDGE  := examples/posix/sm_atecc_bridge.c examples/posix/sm_atecc_bridge.h examples/atecc_frame.h

.PHONY: all test test-unit demo demo-at demo-qemu demo-qemu-at check-python cross clean unit-bins size
all: unit-bins cross $(B)/demo_generic $(B)/demo_mqtt $(B)/cpu_at $(B)/secmodem-replay $(B)/cortexm_demo.elf $(B)/cortexm_mqtt.elf $(B)/avr_demo.elf $(B)/avr_mqtt.elf

$(B):
	@mkdir -p $(B)

# ---- unit tests: found, not listed ------------------------------------------
# Every tests/unit/<section>/test_<name>.c (one folder per section of
# secmodem.h's table of contents) is built three ways by the pattern rules
# below: $(B)/test_<name>_asan (gcc, ASan+UBSan), _clang (clang -O2, UBSan)
# and _cxx (compiled as C++). A new test file needs no Makefile line; vpath
# finds its source in its section folder, so test file names stay unique
# across folders. Every header of tests/common/ and tests/unit/*/ is a
# prerequisite of each: a little more rebuilding, no stale binary.
UNIT_ALL   := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_NAMES := $(basename $(notdir $(UNIT_ALL)))
UNIT_DEPS  := $(wildcard tests/common/*.h tests/unit/*/*.h) examples/demo_mqtt_app.h $(HDR)
vpath test_%.c $(sort $(dir $(UNIT_ALL)))
UBSAN_O2   := -O2 -fsanitize=undefined -fno-sanitize-recover=all
ASCXX      := -x c++ $(WARN) -Wno-old-style-cast -O1
$(B)/test_%_asan: test_%.c $(UNIT_DEPS) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) $(UNIT_FLAGS) $< -o $@
$(B)/test_%_clang: test_%.c $(UNIT_DEPS) | $(B)
	$(CLANG) $(STRICT) $(TESTW) $(UBSAN_O2) $(UNIT_FLAGS) $< -o $@
$(B)/test_%_cxx: test_%.c $(UNIT_DEPS) | $(B)
	$(CXX) $(ASCXX) $(UNIT_FLAGS) $< -o $@
# compressed certificates (section 13): vectors made fresh at each run by the
# section's runner, tests/unit/certs/run_certs.py (hence not in unit-bins)
CERTS_BINS := $(addprefix $(B)/test_certs_,asan clang cxx)
$(CERTS_BINS): $(B)/certs/cert_vectors.h
$(CERTS_BINS): UNIT_FLAGS := -I$(B)/certs
$(B)/certs/cert_vectors.h: tests/unit/certs/gen_cert_vectors.py sim/chips/certdef.py | $(B)
	$(PYTHON) tests/unit/certs/gen_cert_vectors.py $(B)/certs
# with SM_MQTT_RX_ID_BITMAP (issue 19: no limit on QoS 2 messages in flight)
$(B)/test_mqtt_session_bitmap: tests/unit/mqtt_session/test_mqtt_session.c $(UNIT_DEPS) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) -DSM_MQTT_RX_ID_BITMAP=1 $< -o $@
UNIT_BINS_ALL := $(filter-out $(CERTS_BINS), \
                 $(foreach v,asan clang cxx,$(patsubst %,$(B)/%_$(v),$(UNIT_NAMES))))

# ---- live and end-to-end programs (tests/e2e/, each run by its run_*.py) -----
# One pattern rule: $(B)/<name> is tests/e2e/<name>.c, built with the
# sanitizers. What a program links besides (the POSIX serial port, the
# ATECC608 I2C bridge) and its extra flags are target-specific variables,
# E2E_LINK and E2E_FLAGS, set on the lists below: a new e2e program needs
# one word in one list, or nothing when it links nothing else.
E2E_DEPS := tests/common/sm_test.h $(wildcard tests/common/*.h) $(HDR)
E2E_POSIX_PROGS  := test_live test_sequans_e2e test_sequans_supervise_e2e soak_publisher \
                    test_cordelia_e2e test_mqtt_over_sqn test_hce_e2e
E2E_BRIDGE_PROGS := test_atecc_live test_csr_live test_certs_live test_hce_e2e
$(addprefix $(B)/,$(E2E_POSIX_PROGS)): $(POSIX)
$(addprefix $(B)/,$(E2E_POSIX_PROGS)): E2E_LINK += examples/posix/sm_posix.c
$(addprefix $(B)/,$(E2E_BRIDGE_PROGS)): $(BRIDGE)
$(addprefix $(B)/,$(E2E_BRIDGE_PROGS)): E2E_LINK += examples/posix/sm_atecc_bridge.c
# the emulated Trust&GO-style part's test PKI and definitions (fresh in tests/e2e/run_certs_live.py)
$(B)/pki/cert_defs.h: sim/chips/provision.py sim/chips/certdef.py | $(B)
	$(PYTHON) -m sim.chips.provision $(B)/pki
$(B)/test_certs_live: $(B)/pki/cert_defs.h
$(B)/test_certs_live: E2E_FLAGS := -I$(B)/pki
$(B)/test_mqtt_interop: E2E_FLAGS := -DSM_MQTT_PING_TIMEOUT_MS=1500
$(B)/%: tests/e2e/%.c $(E2E_DEPS) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) $(E2E_FLAGS) $< $(E2E_LINK) -o $@
# the simulator's TLS client for host signing (sim/network/hce.py): OpenSSL 3.0's
# EC_KEY_METHOD is deprecated but present
$(B)/hce_tls: sim/network/hce_tls.c | $(B)
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -Werror -Wno-deprecated-declarations -O2 $< -o $@ \
	    -lssl -lcrypto
# the unit test of hostile strings, its calls sent to the real simulators
$(B)/test_injection_live: tests/unit/edge/test_injection.c $(POSIX) $(E2E_DEPS) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) -DSM_INJECTION_LIVE \
	    $< examples/posix/sm_posix.c -o $@
$(B)/test_mqtt_session_live_bitmap: tests/e2e/test_mqtt_session_live.c $(E2E_DEPS) | $(B)
	$(CC) $(STRICT) $(TESTW) $(SAN) -DSM_MQTT_RX_ID_BITMAP=1 $< -o $@
# the same over TLS (OpenSSL), when its headers are installed (libssl-dev)
OPENSSL_H := $(wildcard /usr/include/openssl/ssl.h)
$(B)/test_mqtt_session_live_tls: tests/e2e/test_mqtt_session_live.c $(E2E_DEPS) | $(B)
	@if [ -n "$(OPENSSL_H)" ]; then \
	  echo "$(CC) ... -DSM_LIVE_TLS $< -o $@ -lssl -lcrypto"; \
	  $(CC) $(STRICT) $(TESTW) $(SAN) -DSM_LIVE_TLS $< -o $@ -lssl -lcrypto; \
	else echo "no OpenSSL headers (libssl-dev): $@ not built"; fi
unit-bins: $(UNIT_BINS_ALL) $(B)/test_mqtt_session_bitmap \
           $(B)/test_live $(B)/test_atecc_live $(B)/test_sequans_e2e $(B)/test_sequans_supervise_e2e \
           $(B)/soak_publisher $(B)/test_csr_live $(B)/test_cordelia_e2e $(B)/test_hce_e2e $(B)/hce_tls \
           $(B)/test_mqtt_session_live $(B)/test_mqtt_session_live_tls $(B)/test_mqtt_session_live_bitmap

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
# every feature switched off must still build
$(B)/check-nofeat.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_ATECC -c $< -o $@
# the ATECC608 section without the CSR glue on top of it
$(B)/check-nocsr.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_CSR -c $< -o $@
# the ATECC608 and CSR sections without the compressed certificates on top
$(B)/check-nocerts.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_CERTS -c $< -o $@
$(B)/check-nosession.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_MQTT_SESSION -c $< -o $@
$(B)/check-nomqtt.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_MQTT -c $< -o $@
# the ATECC608 and CSR sections without the Sequans dialect (and the
# host-signing glue that needs both)
$(B)/check-nosqn.o: tests/compile_check.c $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_NO_SEQUANS -c $< -o $@
cross: $(B)/check-gcc.o $(B)/check-clang.o $(B)/check-cxx.o $(B)/check-cm0.o \
       $(B)/check-cm4.o $(B)/check-avr.o $(B)/check-nofeat.o $(B)/check-nocsr.o \
       $(B)/check-nocerts.o $(B)/check-nosession.o $(B)/check-nomqtt.o $(B)/check-nosqn.o

# flash used by the implementation on Cortex-M4 -Os, with and without each feature
size: | $(B)
	@printf '#define SECMODEM_IMPLEMENTATION\n#include "../secmodem.h"\n' > $(B)/size.c
	@for f in "" -DSM_NO_CSR -DSM_NO_ATECC -DSM_NO_MQTT_SESSION -DSM_NO_MQTT; do \
	  $(ARM_CC) -std=c99 -mcpu=cortex-m4 -mthumb -Os $$f -c $(B)/size.c -o $(B)/size.o && \
	  printf '%-22s %6s bytes\n' "$${f:-all features}" \
	    "$$($(ARM_SIZE) $(B)/size.o | awk 'NR==2 {print $$1 + $$2}')"; done

$(B)/cpu_at: tests/bench/cpu_at.c $(HDR) | $(B)
	$(CC) $(STRICT) $(TESTW) -O2 -g $< -o $@

# ---- examples ----------------------------------------------------------------
$(B)/demo_generic: examples/posix/demo_generic.c examples/demo_script.h $(POSIX) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 examples/posix/demo_generic.c examples/posix/sm_posix.c -o $@
$(B)/demo_mqtt: examples/posix/demo_mqtt.c $(POSIX) $(BRIDGE) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 examples/posix/demo_mqtt.c examples/posix/sm_posix.c \
	    examples/posix/sm_atecc_bridge.c -o $@
# the same firmware using the identity the (emulated) chip was provisioned with
$(B)/demo_mqtt_prov: examples/posix/demo_mqtt.c examples/demo_mqtt_app.h $(B)/pki/cert_defs.h $(POSIX) \
                     $(BRIDGE) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -DSM_DM_PROVISIONED -I$(B)/pki examples/posix/demo_mqtt.c \
	    examples/posix/sm_posix.c examples/posix/sm_atecc_bridge.c -o $@

# bare-metal firmware for the MPS2 AN385 (Cortex-M3) as QEMU emulates it;
# newlib-nano only for memcpy & co: the link fails if anything pulls in a heap
CM_DIR  := examples/cortexm
CM_BASE := $(CM_DIR)/startup_an385.c $(CM_DIR)/board.c $(CM_DIR)/cmsdk_uart.c $(CM_DIR)/sm_port_cm.c
CM_SRC  := $(CM_BASE) $(CM_DIR)/demo_cortexm.c
CM_MQTT := $(CM_BASE) $(CM_DIR)/i2c_bridge_cm.c $(CM_DIR)/demo_mqtt_cm.c
CM_FLAGS := -mcpu=cortex-m3 -mthumb -Os -g -ffunction-sections -fdata-sections $(STRICT)
CM_LINK := -nostartfiles --specs=nano.specs -T $(CM_DIR)/an385.ld -Wl,--gc-sections
# fails the build if anything pulled in a heap
define cm_no_heap
	@if $(ARM_NM) $@ | grep -Eq ' (malloc|_malloc_r|free|_sbrk|_sbrk_r)$$'; then \
	  echo "$@: a heap was linked in (malloc/_sbrk):"; $(ARM_NM) $@ | grep -E 'malloc|sbrk'; \
	  rm -f $@; exit 1; fi
	@$(ARM_SIZE) $@
endef
# the AT-engine demo (examples/demo_script.h)
$(B)/cortexm_demo.elf: $(CM_SRC) $(wildcard $(CM_DIR)/*.h) $(CM_DIR)/an385.ld \
                       examples/demo_script.h $(HDR) | $(B)
	$(ARM_CC) $(CM_FLAGS) $(CM_LINK) -Wl,-Map=$(B)/cortexm_demo.map $(CM_SRC) -o $@
	$(cm_no_heap)
# the mutual-TLS MQTT demo (examples/demo_mqtt_app.h, the PC demo's application)
$(B)/cortexm_mqtt.elf: $(CM_MQTT) $(wildcard $(CM_DIR)/*.h) $(CM_DIR)/an385.ld \
                       examples/demo_mqtt_app.h examples/atecc_frame.h $(HDR) | $(B)
	$(ARM_CC) $(CM_FLAGS) $(CM_LINK) -Wl,-Map=$(B)/cortexm_mqtt.map $(CM_MQTT) -o $@
	$(cm_no_heap)

REPLAY  := examples/replay/secmodem_replay.c examples/replay/replay_atecc.c
$(B)/secmodem-replay: $(REPLAY) examples/replay/replay_atecc.h $(HDR) | $(B)
	$(CC) $(STRICT) -O2 $(REPLAY) -o $@

RTOS    := examples/rtos/rtos_demo.c examples/rtos/modem_task.c examples/rtos/os_port_posix.c \
           examples/posix/sm_posix.c
$(B)/rtos_demo: $(RTOS) $(wildcard examples/rtos/*.h) $(POSIX) $(HDR) | $(B)
	$(CC) $(STRICT) -O2 -pthread $(RTOS) -o $@

# ---- entry points -------------------------------------------------------------
check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No python3 with pyserial, pytest, paho-mqtt and cryptography found."; \
	  echo "Install them with: sudo apt-get install -y python3-serial python3-pytest" \
	       "python3-paho-mqtt python3-cryptography mosquitto mosquitto-clients openssl"; \
	  exit 1; fi

# ---- make test-unit: every unit test that runs alone and needs only a C
# compiler, found by the line "make test-unit: runs alone, needs only a C
# compiler." in its opening comment (no Python, no simulator, no broker);
# built at -O1 without sanitizers, for speed
UNIT_SRCS := $(shell grep -l '^   make test-unit: runs alone' $(UNIT_ALL))
UNIT_BINS := $(addprefix $(B)/unit/,$(basename $(notdir $(UNIT_SRCS))))
$(B)/unit:
	mkdir -p $@
$(B)/unit/%: %.c $(UNIT_DEPS) | $(B)/unit
	$(CC) $(STRICT) $(TESTW) -O1 $< -o $@
test-unit: $(UNIT_BINS)
	@pass=0; fail=0; bad=0; \
	for t in $(UNIT_BINS); do \
	  last=$$($$t 2>&1 | tail -n 1); echo "$$last"; \
	  p=$$(echo "$$last" | sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$$/\1/p'); \
	  f=$$(echo "$$last" | sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$$/\2/p'); \
	  if [ -z "$$p" ]; then bad=$$((bad + 1)); echo "$$t: no result line"; continue; fi; \
	  pass=$$((pass + p)); fail=$$((fail + f)); \
	done; \
	echo "$$pass passed, $$((fail + bad)) failed"; [ $$((fail + bad)) -eq 0 ]

test: check-python
	@if [ ! -x /usr/sbin/mosquitto ]; then \
	  echo "No /usr/sbin/mosquitto (the test bed's broker): sudo apt-get install -y mosquitto"; \
	  exit 1; fi
	$(PYTHON) tests/run_all.py

DIALECT ?= sequans
# the Sequans demo needs the simulator's TLS helper for host signing
# PROVISIONED=1: no CSR; the firmware rebuilds the certificates a Trust&GO-style
# chip holds (the emulator provisioned from a test PKI made now: tests/e2e/run_demo.py)
ifeq ($(PROVISIONED),1)
DEMO_DEPS := $(B)/hce_tls
demo: check-python $(DEMO_DEPS)
	$(PYTHON) tests/e2e/run_demo.py --provisioned $(B)/demo_mqtt_prov
else
DEMO_DEPS := $(B)/demo_mqtt $(if $(filter sequans,$(DIALECT)),$(B)/hce_tls)
demo: check-python $(DEMO_DEPS)
	$(PYTHON) tests/e2e/run_demo.py --dialect $(DIALECT) $(B)/demo_mqtt
endif

demo-at: check-python $(B)/demo_generic
	$(PYTHON) tests/e2e/run_demo_at.py $(B)/demo_generic

demo-qemu: check-python $(B)/cortexm_mqtt.elf $(B)/hce_tls
	$(PYTHON) tests/e2e/run_qemu_mqtt.py $(B)/cortexm_mqtt.elf $(QEMU_ARGS)

demo-qemu-at: check-python $(B)/cortexm_demo.elf
	$(PYTHON) tests/e2e/run_qemu.py $(B)/cortexm_demo.elf --scenario together $(QEMU_ARGS)

clean:
	rm -rf $(B)

# ---- fuzzing (clang libFuzzer) -----------------------------------------------------
FUZZERS      := at mqtt atecc sqn cord csr certs
FUZZ_SECONDS ?= 60
FUZZFLAGS    := -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# the MQTT session against a hostile broker, default and small build (issue 18 item 13)
FUZZERS      += mqtt_session mqtt_session_small
$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_result.h $(HDR) | $(B)
	$(CLANG) $(FUZZFLAGS) $< -o $@
# the same harnesses without libFuzzer, to replay corpora under gcc's sanitizers
$(B)/fuzzreplay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz_result.h $(HDR) | $(B)
	$(CC) -std=c99 $(SAN) $< tests/fuzz/replay_main.c -o $@
# the small build of the session harness includes the harness itself
$(B)/fuzz_mqtt_session_small $(B)/fuzzreplay_mqtt_session_small: tests/fuzz/fuzz_mqtt_session.c
$(B)/fuzz_mqtt_session_bitmap $(B)/fuzzreplay_mqtt_session_bitmap: tests/fuzz/fuzz_mqtt_session.c
.PHONY: fuzz
fuzz: $(addprefix $(B)/fuzz_,$(FUZZERS))
	sh tests/fuzz/run_fuzz.sh $^

# ---- static analysis (run by make test; warnings are errors) --------------------
# The whole header, every section, through tests/compile_check.c. Excluded
# clang-tidy checks, and why: easily-swappable-parameters flags every
# (buf, cap)-style API, which is the C convention here; reserved-identifier
# flags _POSIX_C_SOURCE in the POSIX port. Suppressions in the code are
# justified where they stand.
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
TIDY_CHECKS := -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier
.PHONY: lint
lint:
	$(CPPCHECK) --std=c99 --enable=warning,portability,performance --inline-suppr \
	    --error-exitcode=1 --quiet -DSECMODEM_IMPLEMENTATION tests/compile_check.c
	$(CLANG_TIDY) tests/compile_check.c --checks='$(TIDY_CHECKS)' --warnings-as-errors='*' \
	    --quiet -- -std=c99

# ---- packages: Arduino, PlatformIO, CMake (assembled in build/dist, test-built) ---
.PHONY: dist arduino
dist: check-python
	$(PYTHON) tests/dist/run_dist.py
# the Arduino library built by arduino-builder with the real Arduino AVR core
# (Debian: arduino-builder arduino-core-avr arduino-ctags) for the Mega 2560 and
# the Uno, and its Mega 2560 firmware run under simavr (tests/e2e/run_arduino.py)
arduino: check-python
	$(PYTHON) tests/e2e/run_arduino.py $(ARDUINO_ARGS)

# ---- soak ---------------------------------------------------------------------------
# The long soak of issue 8: 1000 QoS 1 publishes through 30 injected faults
# (at least 20) of every kind, 0 lost; make test runs a short one.
SOAK_SEED ?= 1000
.PHONY: soak
soak: check-python $(B)/soak_publisher
	@if [ ! -x /usr/sbin/mosquitto ]; then \
	  echo "No /usr/sbin/mosquitto (the test bed's broker): sudo apt-get install -y mosquitto"; \
	  exit 1; fi
	$(PYTHON) tests/e2e/run_soak.py $(B)/soak_publisher --count 1000 --faults 30 --min-faults 20 \
	    --seed $(SOAK_SEED) $(SOAK_ARGS)

# ---- reports ------------------------------------------------------------------
.PHONY: bench coverage
coverage: check-python
	$(PYTHON) tests/coverage.py

bench: check-python
	$(PYTHON) tests/bench/bench.py

# the AVR firmware (examples/avr/) and the simavr host that runs it
include tests/simavr/avr.mk
