#!/usr/bin/env python3
"""Maintains the patchdx error-code data files (crates/codes/data/*.tsv).

Facts (numeric values and symbolic names) come from the public-domain MinGW-w64 headers shipped by
Debian's `mingw-w64-common` package (/usr/share/mingw-w64/include: winerror.h, wuerror.h, bitsmsg.h,
ntstatus.h, wininet.h). Where those headers lack a family (MinGW-w64 10's winerror.h has no KTM/TxF/CLFS
codes 6600-6899 and stops early in the Appx range 15600-15871), values and names come second from the
Windows SDK metadata as the `windows-sys` crate publishes it (Windows/Win32/Foundation/mod.rs; the version
pinned in the workspace's Cargo.lock is in ~/.cargo/registry after `cargo fetch`; WINDOWS_SYS_FOUNDATION
overrides the path). Codes that only Microsoft's published tables name (setup's 0xC1800118, 0xC1900223,
BITS' newer BG_E_*) are written with their value (4-field lines). Messages are never taken from the headers:
they are written by hand in message files (`SYMBOL<TAB>English<TAB>简体中文`, or
`0xVALUE<TAB>SYMBOL<TAB>English<TAB>简体中文`) and merged in with this script.

    kb.py skeleton FAMILY          print `0xVALUE<TAB>SYMBOL` for header codes of FAMILY not yet in data/
    kb.py merge FAMILY MESSAGES    merge hand-written messages into data/FAMILY.tsv (sorted, no duplicates)
    kb.py check                    verify every data file (sorted, unique across files, 4 fields, CJK)
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
INCLUDE = os.environ.get("MINGW_INCLUDE", "/usr/share/mingw-w64/include")
FAMILIES = ["win32", "ktm_clfs", "appx", "cbs", "setupapi", "wu", "mosetup", "ntstatus", "bits_do", "com_rpc", "dotnet"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def header_codes():
    """symbol -> 32-bit value, from the MinGW-w64 headers (Win32 codes converted to HRESULT_FROM_WIN32)."""
    codes = {}
    define = re.compile(r"^#define\s+([A-Z][A-Z0-9_]+)\s+(.*)$")
    for header in ["winerror.h", "wuerror.h", "bitsmsg.h", "ntstatus.h", "wininet.h"]:
        with open(os.path.join(INCLUDE, header), encoding="latin-1") as f:
            for line in f:
                m = define.match(line.strip())
                if not m:
                    continue
                name, body = m.groups()
                body = body.split("//")[0].strip()
                hexv = re.search(r"0x([0-9A-Fa-f]{8})L?\b", body)
                dec = re.fullmatch(r"(?:__MSABI_LONG\()?(\d+)L?\)?", body)
                inet = re.fullmatch(r"\(INTERNET_ERROR_BASE \+ (\d+)\)", body)
                if hexv and ("HRESULT" in body or "NTSTATUS" in body or "MSABI" in body):
                    value = int(hexv.group(1), 16)
                elif dec and (name.startswith("ERROR_") or name.startswith("RPC_S_") or name.startswith("EPT_S_")):
                    n = int(dec.group(1))
                    if not 0 < n <= 0xFFFF:
                        continue
                    value = 0x80070000 | n
                elif inet:
                    value = 0x80070000 | (12000 + int(inet.group(1)))
                else:
                    continue
                codes.setdefault(name, value)
    for name, value in windows_sys_codes().items():
        codes.setdefault(name, value)
    return codes


def windows_sys_codes():
    """symbol -> value from windows-sys's Foundation module: WIN32_ERROR (as HRESULT_FROM_WIN32) and NTSTATUS."""
    path = os.environ.get("WINDOWS_SYS_FOUNDATION")
    if not path:
        found = sorted(glob.glob(os.path.expanduser(
            "~/.cargo/registry/src/*/windows-sys-*/src/Windows/Win32/Foundation/mod.rs")))
        if not found:
            return {}
        path = found[-1]
    codes = {}
    win32 = re.compile(r"^pub const ([A-Z][A-Z0-9_]+): WIN32_ERROR = (\d+)u32;")
    nt = re.compile(r"^pub const ([A-Z][A-Z0-9_]+): NTSTATUS = 0x([0-9A-F]{8})_u32 as _;")
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = win32.match(line)
            if m and 0 < int(m.group(2)) <= 0xFFFF:
                codes[m.group(1)] = 0x80070000 | int(m.group(2))
                continue
            m = nt.match(line)
            if m:
                codes[m.group(1)] = int(m.group(2), 16)
    return codes


def family_of(value):
    hi = value >> 16
    low = value & 0xFFFF
    if hi == 0x8007:
        if 6600 <= low < 6900:
            return "ktm_clfs"
        if 15600 <= low < 15872:
            return "appx"
        if 1700 <= low < 2000 or 12000 <= low < 12200:
            return "com_rpc"
        return "win32"
    if hi in (0x800F, 0x000F):
        return "setupapi" if (low < 0x800 or low >= 0x1000) else "cbs"
    if hi in (0x8024, 0x0024):
        return "wu"
    if hi in (0x8019, 0x8020, 0x0020, 0x80D0, 0x00D0):
        return "bits_do"
    if value >> 20 in (0xC18, 0xC19):
        return "mosetup"
    if hi == 0x8013:
        return "dotnet"
    if value >> 28 in (0xC, 0x4) or (hi == 0x8000 and 0 < low < 0x4000):
        return "ntstatus"
    return "com_rpc"


def read_data():
    rows = {}
    for fam in FAMILIES:
        path = os.path.join(DATA, fam + ".tsv")
        rows[fam] = []
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("#") or not line.strip():
                    continue
                rows[fam].append(line.split("\t"))
    return rows


def write_family(fam, entries):
    path = os.path.join(DATA, fam + ".tsv")
    header = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            header = [line.rstrip("\n") for line in f if line.startswith("#")]
    if not header:
        header = [
            "# value\tsymbol\tEnglish meaning\t简体中文含义",
            "# Values and symbols from public headers and Microsoft's published tables; messages written for patchdx.",
        ]
    entries.sort(key=lambda r: int(r[0], 16))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(header) + "\n")
        for r in entries:
            f.write("\t".join(r) + "\n")


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    data = read_data()
    known = {int(r[0], 16) for rows in data.values() for r in rows}
    if cmd == "skeleton":
        fam = argv[2]
        codes = header_codes()
        for name, value in sorted(codes.items(), key=lambda kv: kv[1]):
            if family_of(value) == fam and value not in known:
                print(f"0x{value:08X}\t{name}")
        return 0
    if cmd == "merge":
        fam, messages = argv[2], argv[3]
        codes = header_codes()
        entries = {int(r[0], 16): r for r in data[fam]}
        bad = 0
        with open(messages, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) == 4:
                    value, name, en, zh = int(parts[0], 16), parts[1], parts[2], parts[3]
                elif len(parts) == 3:
                    name, en, zh = parts
                    if name not in codes:
                        print(f"{messages}:{n}: unknown symbol {name}", file=sys.stderr)
                        bad += 1
                        continue
                    value = codes[name]
                else:
                    print(f"{messages}:{n}: expected 3 or 4 fields", file=sys.stderr)
                    bad += 1
                    continue
                if value in known and value not in entries:
                    print(f"{messages}:{n}: 0x{value:08X} {name} already in another family", file=sys.stderr)
                    bad += 1
                    continue
                if not CJK.search(zh) or en.strip() == name or not en.strip():
                    print(f"{messages}:{n}: incomplete message for {name}", file=sys.stderr)
                    bad += 1
                    continue
                entries[value] = [f"0x{value:08X}", name, en.strip(), zh.strip()]
        write_family(fam, list(entries.values()))
        print(f"{fam}: {len(entries)} entries ({bad} problems)")
        return 1 if bad else 0
    if cmd == "check":
        seen = {}
        total = 0
        for fam, rows in data.items():
            for r in rows:
                v = int(r[0], 16)
                if v in seen:
                    print(f"duplicate 0x{v:08X} in {fam} and {seen[v]}")
                seen[v] = fam
                total += 1
            print(f"{fam}: {len(rows)}")
        print(f"total: {total}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
