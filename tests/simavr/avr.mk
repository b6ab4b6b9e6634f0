# tests/simavr/avr.mk - the AVR example firmware (examples/avr/, atmega1284p
# at 18.432 MHz) and the simavr host that runs it (tests/simavr/), included
# by the top Makefile, which defines B (the build directory), HDR
# (secmodem.h), STRICT, CC, AVR_CC and PYTHON. The flags are expanded when a
# recipe runs, so the include may stand anywhere in the Makefile.
#
#   make avr-run       both AVR demos under simavr (the two below)
#   make avr-run-at    the AT-engine demo (examples/demo_script.h) against the
#                      generic modem simulator
#   make avr-run-mqtt  the mutual-TLS MQTT demo (examples/demo_mqtt_app.h):
#                      Sequans simulator, ATECC608 emulator, mosquitto
#   AVR_ARGS=--trace: every AT line on the console (--trace-i2c: every
#   transaction with the chip, MQTT demo only)

AVR_NM     ?= avr-nm
AVR_SIZE   ?= avr-size
# simavr's headers and library (Debian: libsimavr-dev). -isystem: its headers
# are not built to this project's warning flags.
SIMAVR_INC ?= /usr/include/simavr
SIMAVR_LIB ?= -lsimavr

AVR_DIR    := examples/avr
AVR_COMMON := $(AVR_DIR)/board.c $(AVR_DIR)/usart.c $(AVR_DIR)/sm_port_avr.c
AVR_HDRS   := $(AVR_DIR)/board.h $(AVR_DIR)/usart.h $(AVR_DIR)/sm_port_avr.h
AVR_FLAGS   = -mmcu=atmega1284p -DF_CPU=18432000UL -Os -g -ffunction-sections -fdata-sections \
              $(STRICT)
AVR_LINK    = -Wl,--gc-sections

# Links, refuses a firmware with a heap in it, prints its size.
# $(1): the ELF file
define AVR_CHECK_ELF
	@if $(AVR_NM) $(1) | grep -Eq ' (malloc|free|__brkval)$$'; then \
	  echo "$(1): a heap was linked in:"; $(AVR_NM) $(1) | grep -E 'malloc|free|brkval'; \
	  rm -f $(1); exit 1; fi
	@$(AVR_SIZE) $(1)
endef

$(B)/avr_demo.elf: $(AVR_COMMON) $(AVR_DIR)/demo_avr.c $(AVR_HDRS) examples/demo_script.h \
                   $(HDR) | $(B)
	$(AVR_CC) $(AVR_FLAGS) $(AVR_LINK) -Wl,-Map=$(B)/avr_demo.map $(AVR_COMMON) \
	    $(AVR_DIR)/demo_avr.c -o $@
	$(call AVR_CHECK_ELF,$@)

AVR_MQTT   := $(AVR_COMMON) $(AVR_DIR)/i2c_bridge_avr.c $(AVR_DIR)/demo_mqtt_avr.c
$(B)/avr_mqtt.elf: $(AVR_MQTT) $(AVR_HDRS) $(AVR_DIR)/i2c_bridge_avr.h examples/demo_mqtt_app.h \
                   examples/atecc_frame.h \
                   $(HDR) | $(B)
	$(AVR_CC) $(AVR_FLAGS) $(AVR_LINK) -Wl,-Map=$(B)/avr_mqtt.map $(AVR_MQTT) -o $@
	$(call AVR_CHECK_ELF,$@)

$(B)/sm_simavr_host: tests/simavr/sm_simavr_host.c | $(B)
	$(CC) $(STRICT) -O2 -isystem $(SIMAVR_INC) $< -o $@ $(SIMAVR_LIB)

.PHONY: avr-run avr-run-at avr-run-mqtt
avr-run: avr-run-at avr-run-mqtt
avr-run-at: check-python $(B)/avr_demo.elf $(B)/sm_simavr_host
	$(PYTHON) tests/e2e/run_avr.py --host $(B)/sm_simavr_host $(B)/avr_demo.elf $(AVR_ARGS)
avr-run-mqtt: check-python $(B)/avr_mqtt.elf $(B)/sm_simavr_host $(B)/hce_tls
	$(PYTHON) tests/e2e/run_avr_mqtt.py --host $(B)/sm_simavr_host $(B)/avr_mqtt.elf $(AVR_ARGS)
