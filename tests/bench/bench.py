#!/usr/bin/env python3
"""make bench: what secmodem costs on an MCU, printed as one report.

Flash: each module is measured by linking a minimal reference program
(tests/bench/ref_<module>.c) that uses only that module, with every other
feature compiled out, and subtracting the same program with no module
(ref_empty.c): .text + .rodata (+ .data initialisers), -Os,
-ffunction-sections -fdata-sections -Wl,--gc-sections. The library's share
of libc (memcpy, strlen...) is counted, since a firmware pays for it.
RAM: sizeof of each state struct with the default configuration, per target.
Heap: whether any allocator symbol is linked (it must not be).
Stack: the worst case of every public function from -fcallgraph-info=su on
Cortex-M4, along the static call graph (callbacks excluded: they are the
application's).
CPU: instructions per received byte for the AT engine over a realistic
session (tests/bench/cpu_at.c), counted by callgrind (repeatable); the same
program on the atmega1284p counts its cycles under simavr
(tests/simavr/sm_simavr_host.c runs it).
Firmware: the AVR examples as whole programs, flash (.text + .data) and
static RAM (.data + .bss), the bare avr-gcc builds (examples/avr/,
atmega1284p) next to the Arduino builds (examples/arduino/, arduino-builder
with the real Arduino AVR core, tests/e2e/run_arduino.py), whose core (Serial,
Wire, millis, its vectors and start-up) comes on top.

Reports, not tests: targets missed are marked, never fail the build.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "tests", "bench")
ALL_FEATURES = ["SM_NO_SEQUANS", "SM_NO_CORDELIA", "SM_NO_ATECC", "SM_NO_MQTT"]

# module name, reference source, features left enabled, the program it is
# measured over (a layer is measured over the layers it needs)
MODULES = [
    ("AT engine + utilities", "ref_at.c", [], "ref_empty.c"),
    ("Sequans GM02S (over the engine)", "ref_sequans.c", ["SEQUANS"], "ref_at.c"),
    ("Cordelia-I (over the engine)", "ref_cordelia.c", ["CORDELIA"], "ref_at.c"),
    ("MQTT framing", "ref_mqtt.c", ["MQTT"], "ref_empty.c"),
    ("MQTT framing + session", "ref_mqtt_session.c", ["MQTT"], "ref_empty.c"),
    ("ATECC608", "ref_atecc.c", ["ATECC"], "ref_empty.c"),
    # section 11 over the chip; section 13 over the chip (with the SHA-256,
    # DER and PEM it takes from 11), and its own code over chip + CSR
    ("CSR, sec. 11 (over ATECC608)", "ref_csr.c", ["ATECC"], "ref_atecc.c", ["ATECC"]),
    ("certs, sec. 13 (over ATECC608)", "ref_certs.c", ["ATECC"], "ref_atecc.c", ["ATECC"]),
    ("certs, sec. 13 own (over CSR)", "ref_csr_certs.c", ["ATECC"], "ref_csr.c", ["ATECC"]),
    ("Sequans + MQTT (one dialect)", "ref_sqn_mqtt.c", ["SEQUANS", "MQTT"], "ref_empty.c"),
    ("Cordelia + MQTT (one dialect)", "ref_cord_mqtt.c", ["CORDELIA", "MQTT"], "ref_empty.c"),
    ("whole library (one program)", "ref_all.c", ["MQTT", "ATECC", "SEQUANS", "CORDELIA"],
     "ref_empty.c"),
]

TARGETS = [
    ("Cortex-M0+", ["arm-none-eabi-gcc", "-mcpu=cortex-m0plus", "-mthumb",
                    "--specs=nano.specs", "--specs=nosys.specs"], "arm-none-eabi-size",
     "arm-none-eabi-nm"),
    ("Cortex-M4", ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb",
                   "--specs=nano.specs", "--specs=nosys.specs"], "arm-none-eabi-size",
     "arm-none-eabi-nm"),
    ("AVR atmega1284p", ["avr-gcc", "-mmcu=atmega1284p"], "avr-size", "avr-nm"),
]
COMMON = ["-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections",
          "-DNDEBUG"]
STRUCTS = ["sm_at", "sm_at_cmd", "sm_platform", "sm_sqn", "sm_sqn_mqtt_mem", "sm_cord", "sm_atecc",
           "sm_mqtt_decoder", "sm_mqtt_client", "sm_cert_op"]

# Typical applications (tests/bench/app_*.c): each calls only what such a
# product calls. Flash is the whole program (libc, main and the start-up
# code included, as a peer library's example would be measured), RAM its
# .data + .bss over the empty program's: the state structs the application
# owns. The Cortex-M4 targets are issue 21's.
APPS = [
    ("Sequans + TLS socket + MQTT session", "app_sqn_session.c", ["SEQUANS", "MQTT"], 15000),
    ("Sequans + built-in MQTT", "app_sqn_builtin.c", ["SEQUANS"], 11000),
    ("Sequans + built-in MQTT + ATECC608 signing", "app_sqn_hce.c", ["SEQUANS", "ATECC"], None),
    ("Cordelia-I + built-in MQTT", "app_cord_mqtt.c", ["CORDELIA"], 13000),
    ("generic AT engine only", "app_generic.c", [], None),
]
TARGET_RAM_SESSION_APP = 2000  # modem + stream + session of the socket + MQTT app

TARGET_FLASH_ALL = 16 * 1024
# Issue 21: the every-API build no larger than when the issue was filed
# (commit 8642d4c, measured this way: ref_all.c over ref_empty.c, Cortex-M4).
TARGET_FLASH_ALL_ISSUE21 = 50792
TARGET_FLASH_MQTT = 4 * 1024  # framing + session, Cortex-M4
TARGET_FLASH_ONE = 8 * 1024   # one dialect + MQTT, Cortex-M4
TARGET_RAM_MODEM = 1024
TARGET_STACK = 512
TARGET_IPB = 25


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def flash_of(elf, size_tool):
    """text + data of an ELF (text includes .rodata in binutils' size)."""
    out = run([size_tool, "-A", elf]).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".text", ".rodata", ".data") and parts[1].isdigit():
            total += int(parts[1])
    return total


def build(tmp, target, source, features_on, tag):
    name, cc, size_tool, nm_tool = target
    if not shutil.which(cc[0]):
        return None, f"{cc[0]} not installed"
    defines = [f"-D{f}" for f in ALL_FEATURES if f.replace("SM_NO_", "") not in features_on]
    elf = os.path.join(tmp, f"{tag}-{re.sub(r'[^a-z0-9]+', '_', name.lower())}.elf")
    res = run(cc + COMMON + defines + [os.path.join(BENCH, source), "-o", elf])
    if res.returncode != 0:
        return None, res.stdout.strip().splitlines()[-1] if res.stdout else "build failed"
    return elf, None


LIBC = ("memcpy", "memmove", "memset", "memcmp", "strlen", "strcmp", "strchr")


def libc_share(elf, base, nm_tool):
    """Bytes of libc string functions the module pulled in over the base."""
    def syms(path):
        out = run([nm_tool, "-S", "-t", "d", path]).stdout
        return {p[3]: int(p[1]) for p in (l.split() for l in out.splitlines())
                if len(p) == 4 and p[3] in LIBC}
    have, had = syms(elf), syms(base)
    return sum(v for k, v in have.items() if k not in had)


def heap_symbols(elf, nm_tool):
    out = run([nm_tool, elf]).stdout
    return sorted({m for m in re.findall(r"\b(malloc|calloc|realloc|free|_malloc_r|_free_r)\b", out)})


def flash_table(tmp):
    rows = []
    heap = {}
    for mod, src, feats, base_src, *base_feats in MODULES:
        row = [mod]
        for target in TARGETS:
            # the base program is built with no feature, or those it needs
            base, err = build(tmp, target, base_src, base_feats[0] if base_feats else [], base_src[:-2])
            elf, err2 = build(tmp, target, src, feats, src[:-2])
            if err or err2:
                row.append("n/a (" + (err or err2) + ")")
                continue
            delta = flash_of(elf, target[2]) - flash_of(base, target[2])
            row.append(f"{delta} ({libc_share(elf, base, target[3])})")
            heap.setdefault(target[0], set()).update(heap_symbols(elf, target[3]))
        rows.append(row)
    return rows, heap


def ram_of(elf, size_tool):
    """.data + .bss of an ELF."""
    out = run([size_tool, "-A", elf]).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".data", ".bss") and parts[1].isdigit():
            total += int(parts[1])
    return total


def apps_table(tmp):
    """(name, {target: (flash, ram over empty)} or error text, M4 target)."""
    rows = []
    for name, src, feats, target_m4 in APPS:
        cells = {}
        for target in TARGETS:
            base, err = build(tmp, target, "ref_empty.c", [], "app_empty")
            elf, err2 = build(tmp, target, src, feats, src[:-2])
            if err or err2:
                cells[target[0]] = "n/a (" + (err or err2) + ")"
                continue
            cells[target[0]] = (flash_of(elf, target[2]), ram_of(elf, target[2]) - ram_of(base, target[2]))
        rows.append((name, cells, target_m4))
    return rows


# Where an application's bytes go: each linked symbol (text and rodata,
# from nm -S) in the first group whose pattern matches its name.
PARTS = [
    ("AT engine + utilities (sec. 4-5)", r"^sm_(at_|buf|fields|check|parse|utf8|time|clock|b64|strerror)"),
    ("Sequans (sec. 6, 14)", r"^sm_sqn_"),
    ("Cordelia-I (sec. 7)", r"^sm_cord_"),
    ("MQTT framing + session (sec. 9-10)", r"^sm_mqtt_"),
    ("ATECC608, host signing (sec. 8, 12)", r"^sm_(atecc|hce)_"),
    ("libc string functions", r"^(mem|str)[a-z]*$"),
    ("application, start-up, rest of libc", r""),
]


def breakdown(elf, nm_tool):
    """{part: bytes} of the code and constants an ELF links."""
    sizes = {name: 0 for name, _ in PARTS}
    out = run([nm_tool, "-S", "-t", "d", elf]).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) != 4 or p[2].lower() not in ("t", "r", "d"):
            continue
        name = p[3].split(".")[0]  # gcc's .isra.0 / .constprop.0 clones
        for part, pat in PARTS:
            if re.search(pat, name):
                sizes[part] += int(p[1])
                break
    return sizes


def print_breakdown(tmp):
    """Cortex-M4: each typical application's bytes by part, against its
    target: what the target leaves for the library once libc, start-up and
    the application's own code are paid."""
    target = TARGETS[1]
    if not shutil.which(target[1][0]):
        return
    print("WHERE THE BYTES GO (Cortex-M4, symbols of each typical application by part)")
    print(f"  {'application':44s}" + "".join(f"{n[:12]:>13s}" for n, _ in PARTS) + f"{'unnamed':>13s}")
    for name, src, feats, target_m4 in APPS:
        elf, err = build(tmp, target, src, feats, "why_" + src[:-2])
        if err:
            continue
        parts = breakdown(elf, target[3])
        unnamed = flash_of(elf, target[2]) - sum(parts.values())
        print(f"  {name:44s}" + "".join(f"{parts[n]:>13d}" for n, _ in PARTS) + f"{unnamed:>13d}")
    print("  (columns: " + "; ".join(n for n, _ in PARTS) + "; unnamed: string literals,")
    print("  vectors, initialised data)\n")


def print_apps(tmp, names):
    print("TYPICAL APPLICATIONS (tests/bench/app_*.c: flash of the whole program with libc,")
    print("       main and start-up code / RAM of its state over the empty program)")
    print(f"  {'application':44s}" + "".join(f"{n:>18s}" for n in names))
    rows = apps_table(tmp)
    for name, cells, _ in rows:
        txt = [c if isinstance(c, str) else f"{c[0]} / {c[1]}" for c in (cells[n] for n in names)]
        print(f"  {name:44s}" + "".join(f"{t:>18s}" for t in txt))
    for name, cells, target_m4 in rows:
        m4 = cells.get("Cortex-M4")
        if target_m4 is not None and not isinstance(m4, str):
            print(f"  target: {name} <= {target_m4} on Cortex-M4: {m4[0]}, {mark(m4[0] <= target_m4)}")
    m4 = rows[0][1].get("Cortex-M4")
    if not isinstance(m4, str):
        print(f"  target: RAM of the socket + MQTT session app <= {TARGET_RAM_SESSION_APP} on "
              f"Cortex-M4: {m4[1]}, {mark(m4[1] <= TARGET_RAM_SESSION_APP)}")
    print("  why missed (issue 21): both dialects link only the operations an app calls")
    print("  and the URC handlers of the features it uses, and the engine's raw-read")
    print("  readings (headerless reads, raw bytes inline in a line, over-long lines in")
    print("  pieces) only when a dialect or the app turns them on; what remains is mostly")
    print("  the AT engine with its utilities (7.4 KB, 8.9 KB with the headerless reads")
    print("  of the modem's MQTT client, see WHERE THE BYTES GO), libc and start-up")
    print("  (2.3-2.5 KB), which leave too little for a dialect and MQTT: the targets")
    print("  need an engine of about half its size. RAM of the socket + session app:")
    print("  the engine 1,132 B (line 160, responses 192, four queue entries and 224 B")
    print("  of command text), the stream's two 512-byte buffers (SM_SQN_STREAM_TX /")
    print("  _RX), the session 612, the dialect's operation records and state about")
    print("  500 (the modem's MQTT memory, 718 B, is no longer in it: sm_sqn_mqtt_mem).")
    print("  With both stream buffers at 128 it is about 2,530; under 2,000 needs a")
    print("  stream that reads into the session's own buffer and engine queue")
    print("  entries of ~20 bytes rather than a whole sm_at_cmd.\n")


def struct_sizes(tmp):
    sizes = {}
    for target in TARGETS:
        name, cc, size_tool, nm_tool = target
        if not shutil.which(cc[0]):
            continue
        obj = os.path.join(tmp, "sizes.o")
        res = run(cc + ["-std=c99", "-Os", "-c", os.path.join(BENCH, "sizes.c"), "-o", obj])
        if res.returncode != 0:
            continue
        for line in run([nm_tool, "-S", obj]).stdout.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[3].startswith("sm_size_"):
                sizes[(parts[3][len("sm_size_"):], name)] = int(parts[1], 16)
    return sizes


def parse_callgraph(ci_text):
    """Nodes (function -> own stack bytes) and edges from gcc's .ci (VCG)."""
    stack, edges = {}, {}
    for m in re.finditer(r'node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes', ci_text):
        stack[m.group(1)] = int(m.group(2))
    for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', ci_text):
        edges.setdefault(m.group(1), set()).add(m.group(2))
    return stack, edges


def cyclic_functions(edges):
    """The functions on a cycle of the call graph (Tarjan's strongly
    connected components): the engine's receive side re-enters itself (a
    command that ends gives held bytes back to the line parser)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], set(), [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                out.update(comp)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def worst_stack(fn, stack, edges, memo, active, cyclic):
    """(bytes, path) of the deepest call path from fn that calls no function
    twice (a recursion is counted once). Only a function on no cycle is
    remembered: what is below it cannot depend on the path that led to it,
    so the result is the same whatever order the functions are asked in."""
    if fn in memo:
        return memo[fn]
    active.add(fn)
    best = (0, [])
    for t in sorted(edges.get(fn, ())):
        if t not in active:
            r = worst_stack(t, stack, edges, memo, active, cyclic)
            if r[0] > best[0]:
                best = r
    active.discard(fn)
    res = (stack.get(fn, 0) + best[0], [fn] + best[1])
    if fn not in cyclic:
        memo[fn] = res
    return res


def public_functions():
    with open(os.path.join(ROOT, "secmodem.h")) as f:
        header = f.read()
    return sorted(set(re.findall(r"^SECMODEM_API [^(;]*?\b(sm_\w+)\(", header, re.M)))


# The library's own calls through a pointer that the static call graph
# cannot follow (an application's callbacks stay excluded): a Sequans
# feature's step, reset and boot hook, an operation's finish function, a
# feature's URC handler (sm_sqn_urc_route). Each is counted as a call to
# every function it may reach.
LIB_INDIRECT = {
    # the engine's reads by raw_lead, through the table sm_at_use_headerless()
    # installs (where the static callers are inlined, their callers stand in)
    "sm_at_feed_one": ["sm_at_lv_byte", "sm_at_inline_comma"],
    "sm_at_take_raw": ["sm_at_lead_check"],
    "sm_at_feed": ["sm_at_lead_check"],
    "sm_at_dispatch_line": ["sm_at_lead_error"],
    "sm_at_check_deadlines": ["sm_at_lead_error_quiet"],
    "sm_at_poll": ["sm_at_lead_error_quiet"],
    # over-long lines, through the table sm_at_on_long_line() installs
    "sm_at_line_byte": ["sm_at_long_piece", "sm_at_long_end"],
    "sm_at_end_line": ["sm_at_long_end"],
    "sm_sqn_features_step": ["sm_sqn_mqtt_step", "sm_sqn_watch_step", "sm_sqn_sync_step"],
    "sm_sqn_watch": ["sm_sqn_watch_note"],
    "sm_sqn_features_reset": ["sm_sqn_sup_forget", "sm_sqn_time_reset"],
    "sm_sqn_boot_step": ["sm_sqn_sup_boot_sync"],
    "sm_sqn_cmd_done": ["sm_sqn_fin_clock", "sm_sqn_fin_key_info", "sm_sqn_fin_dial",
                        "sm_sqn_fin_close", "sm_sqn_fin_status", "sm_sqn_fin_info",
                        "sm_sqn_fin_pmid", "sm_sqn_fin_send", "sm_sqn_fin_mqtt_sup",
                        "sm_sqn_finish_data"],
    "sm_sqn_urc_route": ["sm_sqn_urc_sring", "sm_sqn_urc_sh", "sm_sqn_urc_mqtt_conn",
                         "sm_sqn_urc_mqtt_disc", "sm_sqn_urc_mqtt_sub", "sm_sqn_urc_mqtt_unsub",
                         "sm_sqn_urc_mqtt_pub", "sm_sqn_urc_mqtt_msg", "sm_sqn_urc_mqtt_full",
                         "sm_sqn_urc_http_ring", "sm_sqn_urc_http_sh", "sm_sqn_urc_hce",
                         "sm_sqn_urc_ntp"],
}


# The engine and the dialects call the library's own callbacks through
# pointers too: a URC or response-line handler, a command's done function,
# a raw-data sink, an operation's internal done (the MQTT supervision, the
# time sync, the socket stream, host signing). They are found in the header
# by their signature; each call site below may reach every one of its kind.
CALLBACK_KINDS = [
    # (signature after the name, the functions whose pointer calls reach them)
    (r"\(void \*ctx, sm_at \*at, const char \*line, size_t len\)",
     ["sm_at_dispatch_urc", "sm_at_dispatch_line", "sm_at_unexpected", "sm_cord_ev_feature",
      "sm_sqn_urc_route"]),
    (r"\(void \*ctx, const sm_at_response \*r\)", ["sm_at_report", "sm_at_complete_unsent"]),
    (r"\(void \*ctx, const uint8_t \*data, size_t len\)", ["sm_at_take_raw"]),
    # an operation's done: the library's own (supervision, time sync, stream)
    # or the application's; the bring-up and the time sync report only to
    # the application's
    (r"\(void \*ctx, sm_sqn \*m, const sm_result \*r\)", ["sm_sqn_cmd_done"]),
]


def callback_edges():
    """LIB_INDIRECT-shaped edges from CALLBACK_KINDS and the header."""
    with open(os.path.join(ROOT, "secmodem.h")) as f:
        header = f.read()
    out = {}
    for sig, sites in CALLBACK_KINDS:
        names = sorted(set(re.findall(r"^SM_PRIV void (sm_\w+)" + sig, header, re.M)))
        for site in sites:
            out.setdefault(site, []).extend(names)
    return out


def add_lib_indirect(stack, edges, callbacks=False):
    """Adds LIB_INDIRECT (and, with callbacks, the callback edges) to the
    graph; node titles of static functions carry the file name
    ("path:name")."""
    def node(name):
        return next((t for t in stack if t == name or t.endswith(":" + name)), None)
    merged = {k: list(v) for k, v in LIB_INDIRECT.items()}
    for k, v in (callback_edges().items() if callbacks else ()):
        merged.setdefault(k, []).extend(v)
    for src, dsts in merged.items():
        s = node(src)
        if s is None:
            continue
        edges.setdefault(s, set()).update(d for d in (node(x) for x in dsts) if d)


# A modem is one dialect: through the engine's callbacks a Sequans call can
# reach only Sequans handlers, a Cordelia-I call only Cordelia-I ones, a
# generic engine call neither.
OTHER_DIALECTS = {"sm_sqn_": ("sm_cord_",), "sm_hce_": ("sm_cord_",),
                  "sm_cord_": ("sm_sqn_", "sm_hce_")}


def without(edges, prefixes):
    """The call graph without the functions whose names start with prefixes."""
    def keep(t):
        return not t.rsplit(":", 1)[-1].startswith(prefixes)
    return {k: {t for t in v if keep(t)} for k, v in edges.items() if keep(k)}


def stack_table_callbacks(tmp):
    """{public function: bytes} along the call graph with the library's own
    callbacks (URC and line handlers, done functions, sinks) as calls, each
    public function over its own dialect's graph."""
    ci = os.path.join(tmp, "stack.ci")
    if stack_table(tmp) is None:
        return None
    with open(ci) as f:
        stack, edges = parse_callgraph(f.read())
    add_lib_indirect(stack, edges, callbacks=True)
    graphs = {}
    table = {}
    for fn in public_functions():
        if fn not in stack:
            continue
        pre = next((p for p in OTHER_DIALECTS if fn.startswith(p)), "")
        drop = OTHER_DIALECTS.get(pre, ("sm_sqn_", "sm_cord_", "sm_hce_"))
        if drop not in graphs:
            g = without(edges, drop)
            graphs[drop] = (g, {}, cyclic_functions(g))
        g, memo, cyclic = graphs[drop]
        table[fn] = worst_stack(fn, stack, g, memo, set(), cyclic)[0]
    return table


def stack_table(tmp):
    src = os.path.join(ROOT, "tests", "compile_check.c")
    obj = os.path.join(tmp, "stack.o")
    res = run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-std=c99", "-Os",
               "-fcallgraph-info=su", "-c", src, "-o", obj], cwd=tmp)
    ci = os.path.join(tmp, "stack.ci")
    if res.returncode != 0 or not os.path.exists(ci):
        return None
    with open(ci) as f:
        stack, edges = parse_callgraph(f.read())
    add_lib_indirect(stack, edges)
    memo, cyclic = {}, cyclic_functions(edges)
    table = {}
    for fn in public_functions():
        if fn in stack:
            total, path = worst_stack(fn, stack, edges, memo, set(), cyclic)
            # f(own bytes) -> g(own bytes) ...; static functions without their file
            table[fn] = (total, " -> ".join(f"{f.rsplit(':', 1)[-1]}({stack.get(f, 0)})" for f in path))
    return table


def cpu_table(tmp):
    if not shutil.which("valgrind"):
        return None, "valgrind not installed"
    exe = os.path.join(tmp, "cpu_at")
    res = run(["gcc", "-std=c99", "-O2", "-g", os.path.join(BENCH, "cpu_at.c"), "-o", exe])
    if res.returncode != 0:
        return None, "build failed: " + res.stdout[-300:]
    out_file = os.path.join(tmp, "callgrind.out")
    res = run(["valgrind", "--tool=callgrind", "--toggle-collect=sm_at_feed",
               f"--callgrind-out-file={out_file}", exe, "20"])
    if res.returncode != 0:
        return None, "transcript run failed: " + res.stdout[-500:]
    m = re.search(r"bytes (\d+) lines (\d+) urcs (\d+) raw (\d+) dropped (\d+)", res.stdout)
    with open(out_file) as f:
        total = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
    fed, lines, urcs, raw, dropped = (int(x) for x in m.groups())
    return {"instr": total, "bytes": fed, "lines": lines, "urcs": urcs, "raw": raw,
            "dropped": dropped}, None


def callgrind_count(exe, args, patterns):
    out_file = exe + ".cg"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
    cmd += [f"--toggle-collect={p}" for p in patterns]
    res = run(cmd + [exe] + args)
    if res.returncode != 0:
        return None
    with open(out_file) as f:
        return int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))


def cpu_mqtt_table(tmp):
    """Decoder: 1000 PUBLISH with 8-byte and with 200-byte payloads separate
    the per-packet cost from the per-payload-byte cost; encoder: PUBLISH
    header + PUBACK per message."""
    if not shutil.which("valgrind"):
        return None
    exe = os.path.join(tmp, "cpu_mqtt")
    if run(["gcc", "-std=c99", "-O2", "-g", os.path.join(BENCH, "cpu_mqtt.c"), "-o", exe]).returncode:
        return None
    small = callgrind_count(exe, ["small"], ["sm_mqtt_decode*"])
    large = callgrind_count(exe, ["large"], ["sm_mqtt_decode*"])
    enc = callgrind_count(exe, ["encode"], ["sm_mqtt_encode*"])
    if None in (small, large, enc):
        return None
    per_byte = (large - small) / (1000 * (200 - 8))
    return {"per_byte": per_byte, "per_packet": small / 1000 - 8 * per_byte, "encode": enc / 1000}


def avr_cycles_table(tmp):
    """The AT engine's transcript on the atmega1284p: tests/bench/cpu_at.c
    built with avr-gcc counts its own cycles in sm_at_feed with Timer1; the
    AVR example's simavr host (tests/simavr/sm_simavr_host.c) runs it."""
    if not shutil.which("avr-gcc"):
        return None, "avr-gcc not installed"
    if not os.path.exists("/usr/include/simavr/sim_avr.h"):
        return None, "simavr's library not installed (apt-get install libsimavr-dev)"
    res = run(["make", "-s", "build/sm_simavr_host"], cwd=ROOT)
    if res.returncode != 0:
        return None, "simavr host build failed: " + res.stdout[-300:]
    elf = os.path.join(tmp, "cpu_at_avr.elf")
    res = run(["avr-gcc", "-mmcu=atmega1284p"] + COMMON + [os.path.join(BENCH, "cpu_at.c"), "-o", elf])
    if res.returncode != 0:
        return None, "AVR build failed: " + res.stdout[-300:]
    res = run([os.path.join(ROOT, "build", "sm_simavr_host"), "--quiet", "--timeout", "120", elf],
              stdin=subprocess.DEVNULL, timeout=300)
    m = re.search(r"bytes (\d+) lines .* dropped (\d+)", res.stdout)
    c = re.search(r"avr cycles in sm_at_feed (\d+)", res.stdout)
    if res.returncode != 0 or not m or not c:
        return None, "simavr run failed: " + res.stdout[-300:]
    return {"bytes": int(m.group(1)), "dropped": int(m.group(2)), "cycles": int(c.group(1))}, None


def avr_static(elf):
    """(flash, RAM) of an AVR firmware: .text + .data, .data + .bss."""
    out = run(["avr-size", elf]).stdout.splitlines()
    text, data, bss = (int(v) for v in out[1].split()[:3])
    return text + data, data + bss


def firmware_table():
    """Rows (firmware, what it does, target, flash, RAM, RAM of the chip) of
    the bare AVR builds and the Arduino builds; or (None, why)."""
    if not shutil.which("avr-gcc"):
        return None, "avr-gcc not installed"
    rows = []
    res = run(["make", "-s", "build/avr_demo.elf", "build/avr_mqtt.elf"], cwd=ROOT)
    if res.returncode != 0:
        return None, "bare AVR build failed: " + res.stdout[-300:]
    for elf, what in (("avr_demo.elf", "AT script"), ("avr_mqtt.elf", "mutual-TLS MQTT + CSR")):
        flash, ram = avr_static(os.path.join(ROOT, "build", elf))
        rows.append((f"bare avr-gcc ({elf})", what, "atmega1284p", flash, ram, 16384))
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import run_arduino
    missing = run_arduino.missing_tools()
    if missing:
        rows.append(("Arduino builds", "n/a", "", 0, 0, 0))
        return rows, "Arduino packages missing: " + ", ".join(missing)
    os.makedirs(run_arduino.OUT, exist_ok=True)
    lib, _, _ = run_arduino.run_dist.assemble(run_arduino.run_dist.version())
    for example, what in (("secmodem_demo", "AT script"),
                          ("secmodem_mqtt", "mutual-TLS MQTT (certificates provisioned)")):
        for board, fqbn in run_arduino.BOARDS:
            ok, sz, msg = run_arduino.build(lib, example, board, fqbn)
            if sz:
                flash, ram = avr_static(sz["elf"])
                rows.append((f"Arduino {example}", what, board.replace("Arduino ", ""), flash, ram,
                             sz["ram_max"]))
            elif ok:
                rows.append((f"Arduino {example}", what, board.replace("Arduino ", ""), 0, 0,
                             -1))
    return rows, None


def print_firmware():
    """The AVR firmware table of the report."""
    print("\nAVR FIRMWARE (whole programs, -Os; static RAM = .data + .bss, the stack comes on")
    print("       top; on AVR the library's constant strings are in .data, i.e. RAM)")
    rows, err = firmware_table()
    if rows is None:
        print(f"  n/a ({err})")
    else:
        print(f"  {'firmware':32s}{'does':44s}{'chip':>12s}{'flash':>8s}{'RAM':>7s}{'of':>7s}")
        for name, what, chip, flash, ram, ram_max in rows:
            if ram_max < 0:
                print(f"  {name:32s}{what:44s}{chip:>12s}  refused: no Serial1, 2 KB of RAM")
            elif ram_max:
                print(f"  {name:32s}{what:44s}{chip:>12s}{flash:>8d}{ram:>7d}{ram_max:>7d}")
        if err:
            print(f"  Arduino builds: n/a ({err})")
        print("  the Arduino RAM includes the core's (Serial and Serial1 rings, 157 B each; Wire's")
        print("  buffers). The bare MQTT firmware also makes the CSR and takes both certificates")
        print("  on its console (2 x 1 KB of PEM, 640 B of CSR): 10.5 KB, more than a Mega's 8 KB;")
        print("  the Arduino sketch runs with certificates provisioned once (AT+SQNSNVW).")


def mark(ok):
    return "ok" if ok else "MISSED"


def avr_check():
    """For make test: the AVR transcript builds, runs under simavr, drops
    nothing and counts its cycles (the figure is not judged). 77: skipped."""
    tmp = tempfile.mkdtemp(prefix="secmodem-bench-")
    try:
        avr, err = avr_cycles_table(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if avr is None and "not installed" in err:
        print(f"SKIPPED: {err}")
        return 77
    ok = avr is not None and avr["dropped"] == 0 and avr["cycles"] > 0 and avr["bytes"] > 0
    print(f"AVR transcript: {avr if avr else err}")
    print(f"{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


STRICT = ["-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wshadow", "-Werror"]


def apps_check():
    """For make test: every typical-application program builds warning-free
    with gcc, clang and g++ (as C++) on the host and links for Cortex-M4 and
    the AVR with only its features enabled, so the programs make bench
    measures cannot rot. 77: skipped (no compiler at all)."""
    tmp = tempfile.mkdtemp(prefix="secmodem-apps-")
    passed = failed = 0
    try:
        compilers = [("gcc", ["gcc", "-std=c99"]), ("clang", ["clang", "-std=c99"]),
                     ("g++", ["g++", "-x", "c++"])]
        for name, src, feats, _ in APPS:
            defines = [f"-D{f}" for f in ALL_FEATURES if f.replace("SM_NO_", "") not in feats]
            for cname, cc in compilers:
                if not shutil.which(cc[0]):
                    continue
                res = run(cc + STRICT + ["-Os", "-c"] + defines +
                          [os.path.join(BENCH, src), "-o", os.path.join(tmp, "app.o")])
                ok = res.returncode == 0
                passed, failed = passed + ok, failed + (not ok)
                print(f"{'ok' if ok else 'FAILED'}: {src} with {cname}" + ("" if ok else "\n" + res.stdout[-800:]))
            for target in TARGETS[1:]:
                elf, err = build(tmp, (target[0], target[1] + STRICT, target[2], target[3]), src, feats, "app")
                if err and "not installed" in err:
                    continue
                ok = elf is not None and flash_of(elf, target[2]) > 0
                passed, failed = passed + ok, failed + (not ok)
                print(f"{'ok' if ok else 'FAILED'}: {src} linked for {target[0]}" + ("" if ok else f" ({err})"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if passed + failed == 0:
        print("SKIPPED: no compiler")
        return 77
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    if sys.argv[1:] == ["--avr-check"]:
        return avr_check()
    if sys.argv[1:] == ["--apps-check"]:
        return apps_check()
    tmp = tempfile.mkdtemp(prefix="secmodem-bench-")
    try:
        print("secmodem footprint and CPU report (-Os, gc-sections; bytes)\n")
        rows, heap = flash_table(tmp)
        names = [t[0] for t in TARGETS]
        print("FLASH (.text+.rodata+.data over an empty program; in brackets the libc string")
        print("       functions included in it)")
        print(f"  {'module':28s}" + "".join(f"{n:>18s}" for n in names))
        for row in rows:
            print(f"  {row[0]:28s}" + "".join(f"{c:>18s}" for c in row[1:]))
        whole = [r for r in rows if r[0].startswith("whole library")]
        total_m4 = int(whole[0][2].split()[0]) if whole and whole[0][2].split()[0].isdigit() else -1
        mq = [r for r in rows if r[0] == "MQTT framing + session"]
        mqtt_m4 = int(mq[0][2].split()[0]) if mq and mq[0][2].split()[0].isdigit() else -1
        print(f"  target: MQTT framing + session <= {TARGET_FLASH_MQTT} on Cortex-M4: "
              f"{mqtt_m4}, {mark(0 <= mqtt_m4 <= TARGET_FLASH_MQTT)}")
        for r in rows:
            if "(one dialect)" in r[0]:
                v = int(r[2].split()[0]) if r[2].split()[0].isdigit() else -1
                print(f"  target: {r[0]} <= {TARGET_FLASH_ONE} on Cortex-M4: {v}, "
                      f"{mark(0 <= v <= TARGET_FLASH_ONE)}")
        print(f"  target: whole library <= {TARGET_FLASH_ALL} on Cortex-M4: "
              f"{total_m4}, {mark(0 <= total_m4 <= TARGET_FLASH_ALL)}"
              "  (only the modules present in the header)")
        print(f"  target: whole library <= {TARGET_FLASH_ALL_ISSUE21} on Cortex-M4 (its size when "
              f"issue 21 was filed): {total_m4}, "
              f"{mark(0 <= total_m4 <= TARGET_FLASH_ALL_ISSUE21)}")
        print("  why missed: each dialect with every operation is about 15 KB over the")
        print("  engine: ~70 operations, each a descriptor with its command format (both")
        print("  dialects build their commands from formats), its argument checks and its")
        print("  answer reader, plus the URC handlers and state of every feature; a product")
        print("  links only what it calls (TYPICAL APPLICATIONS below). The 8 and 16 KB")
        print("  targets would need answers read by field specs rather than per-operation")
        print("  readers (measured larger than the readers they would replace) and an")
        print("  engine of about half its size. The MQTT framing + session, 4 KB target")
        print("  missed, is still smaller than FreeRTOS coreMQTT v2.3.1 linked the same way")
        print("  (README, \"Size\").\n")

        print_apps(tmp, names)
        print_breakdown(tmp)

        print("RAM (sizeof with the default configuration)")
        sizes = struct_sizes(tmp)
        print(f"  {'struct':28s}" + "".join(f"{n:>18s}" for n in names))
        for s in STRUCTS:
            print(f"  {s:28s}" + "".join(f"{sizes.get((s, n), 'n/a')!s:>18s}" for n in names))
        for inst in ("sm_sqn", "sm_cord"):
            v = sizes.get((inst, "Cortex-M4"))
            if v is not None:
                print(f"  target: a modem instance ({inst}, its engine included) <= "
                      f"{TARGET_RAM_MODEM} on Cortex-M4: {v}, {mark(v <= TARGET_RAM_MODEM)}")
        print("  why missed: the engine's line buffer, response store and command queue are")
        print("  1 KB together; the dialect's state (sockets, HTTP profiles, operation")
        print("  records) comes on top. Smaller SM_LINE_SIZE / SM_RESP_SIZE / SM_QUEUE_TEXT")
        print("  fit many products; the defaults keep the longest real answers (certificate")
        print("  lines, +SQNSMQTTONMESSAGE with a 128-byte topic) whole. Commands are built")
        print("  in the queue itself (no second command buffer). Under 1 KB needs the engine")
        print("  to keep response lines in its line buffer's tail rather than a store of")
        print("  their own, and queue entries of ~20 bytes rather than a whole sm_at_cmd (56).")
        allocs = sorted(set().union(*heap.values())) if heap else []
        print(f"  heap: {'0 (no allocator linked on any target)' if not allocs else 'ALLOCATOR LINKED: ' + ', '.join(allocs)}\n")

        print("STACK (worst case per public function, Cortex-M4 -Os, static call graph,")
        print("       callbacks excluded)")
        st = stack_table(tmp)
        if st is None:
            print("  n/a (arm-none-eabi-gcc -fcallgraph-info failed)\n")
        else:
            worst = max(v for v, _ in st.values()) if st else 0
            for fn, (v, _) in sorted(st.items(), key=lambda kv: -kv[1][0])[:12]:
                print(f"  {fn:40s}{v:>8d}")
            print(f"  ... {len(st)} public functions; target: none over {TARGET_STACK}: "
                  f"worst {worst}, {mark(worst <= TARGET_STACK)}")
            for fn, (v, path) in sorted(st.items(), key=lambda kv: -kv[1][0]):
                if v > TARGET_STACK:
                    print(f"  {fn} {v}: {path}")
            cb = stack_table_callbacks(tmp)
            if cb:
                over = sorted(((v, fn) for fn, v in cb.items() if v > TARGET_STACK), reverse=True)
                print("  with the library's own callbacks counted as calls (a URC handler under the")
                print("  engine's line parser, a command's done function, the dialect's internal")
                print(f"  done functions; each call over its own dialect): {len(over)} over "
                      f"{TARGET_STACK}, {mark(not over)}")
                for v, fn in over[:12]:
                    print(f"    {fn:38s}{v:>8d}")
            print()

        print("CPU (x86-64 instructions, gcc -O2, callgrind; repeatable)")
        cpu, err = cpu_table(tmp)
        if cpu is None:
            print(f"  n/a ({err})")
        else:
            ipb = cpu["instr"] / cpu["bytes"]
            print(f"  AT engine over a session transcript: {cpu['bytes']} bytes ({cpu['raw']} of them "
                  f"binary payload), {cpu['lines']} lines, {cpu['urcs']} URCs, {cpu['dropped']} dropped")
            print(f"    {cpu['instr']} instructions in sm_at_feed = {ipb:.1f} per received byte; "
                  f"target <= {TARGET_IPB}: {mark(ipb <= TARGET_IPB)}")
        mq = cpu_mqtt_table(tmp)
        if mq is None:
            print("  MQTT: n/a (valgrind missing or build failed)")
        else:
            print(f"  MQTT decoder (PUBLISH QoS 1, 64-byte chunks): {mq['per_byte']:.2f} per payload "
                  f"byte + {mq['per_packet']:.0f} per packet; target <= 5 per payload byte: "
                  f"{mark(mq['per_byte'] <= 5)}")
            print(f"  MQTT encoder: {mq['encode']:.0f} per PUBLISH header + PUBACK")
        print("\nCPU on the AVR (atmega1284p cycles, avr-gcc -Os, simavr; repeatable)")
        avr, err = avr_cycles_table(tmp)
        if avr is None:
            print(f"  n/a ({err})")
        else:
            cpb = avr["cycles"] / avr["bytes"]
            # 115200 baud, 8N1: 11520 bytes/s at most; the example's 18.432 MHz
            load = cpb * 11520 / 18.432e6 * 100
            print(f"  AT engine over the same transcript (5 rounds): {avr['bytes']} bytes, "
                  f"{avr['dropped']} dropped")
            print(f"    {avr['cycles']} cycles in sm_at_feed = {cpb:.1f} per received byte: "
                  f"{load:.1f}% of an 18.432 MHz core at a full 115200-baud stream")
        print_firmware()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
