#!/usr/bin/env python3
"""Writes the sample bundle tests/data/timeline/ist-0530-zone-changed/ (see README.md there).

A server installed with its clock zone left at UTC: two rotated CBS pieces of June 2022 whose `Universal Time is:`
lines and CSI stamps equal the local time (+00:00). It was then set to India Standard Time (UTC+05:30); in
September KB5017315 fails twice with 0x800F0922. Those failures survive in WindowsUpdate.log (Get-WindowsUpdateLog
output: local time, no zone) and ReportingEvents.log (`+0530` on every line). DISM.log (no zone) holds a later
/ScanHealth run. Two of the three files that state a zone say +00:00, so the machine vote says +00:00; the two
failures WindowsUpdate.log shares with ReportingEvents.log say +05:30.

Run from the repository root: python3 tests/data/timeline/make_ist_0530_zone_changed.py
"""
import datetime as dt
import os

ROOT = os.path.join(os.path.dirname(__file__), "ist-0530-zone-changed", "Windows")
KB = "KB5017315"
GUID = "7C3D5E9A-1B2F-4C6D-8E0A-3F4B5C6D7E8F"
TITLE = f"2022-09 Cumulative Update for Windows Server 2019 (1809) for x64-based Systems ({KB})"
SYNC = "{9482F4B4-E343-43B6-B170-9A65BC822C77}"
# (handler's `Completed install` line, ReportingEvents' 182 a third of a second later), local time UTC+05:30.
FAILURES = [
    (dt.datetime(2022, 9, 14, 10, 42, 7, 345000), dt.datetime(2022, 9, 14, 10, 42, 7, 655000)),
    (dt.datetime(2022, 9, 15, 11, 3, 51, 170000), dt.datetime(2022, 9, 15, 11, 3, 51, 480000)),
]


def write(path, data):
    path = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def cbs_piece(name, start, session):
    """A CBS piece at +00:00: local stamps, `Universal Time is:` and CSI stamps all say the same time."""
    def line(t, level, component, text):
        return f"{t:%Y-%m-%d %H:%M:%S}, {level:<22}{component:<7}{text}"
    def csi(t, seq, text):
        return line(t, "Info", "CSI", f"{seq:08x}@{t.year}/{t.month}/{t.day}:{t:%H:%M:%S}.{t.microsecond // 1000:03d} {text}")
    t = start
    out = [
        line(t, "Info", "CBS", "TI: --- Initializing Trusted Installer ---"),
        line(t, "Info", "CBS", "TI: Last boot time: 2022-06-01 06:10:12.500"),
        line(t, "Info", "CBS", "Starting TrustedInstaller initialization."),
        line(t, "Info", "CBS", "Ending TrustedInstaller initialization."),
        line(t, "Info", "CBS", "Starting the TrustedInstaller main loop."),
        line(t, "Info", "CBS", "TrustedInstaller service starts successfully."),
        line(t, "Info", "CBS", f"Universal Time is: {t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d}"),
        line(t, "Info", "CBS", "Loaded Servicing Stack v10.0.17763.2861 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.17763.2861_none_0a4bde3dd24ff0a6\\cbscore.dll"),
        csi(t + dt.timedelta(milliseconds=113), 1, "WcpInitialize: wcp.dll version 10.0.17763.2861 (WinBuild.160101.0800)"),
        line(t + dt.timedelta(seconds=1), "Info", "CBS", f"Session: {session} initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)"),
        line(t + dt.timedelta(seconds=9), "Info", "CBS", f"Session: {session} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"),
        line(t + dt.timedelta(minutes=20), "Info", "CBS", "Trusted Installer is shutting down because: SHUTDOWN_REASON_AUTOSTOP"),
    ]
    write(os.path.join("Logs", "CBS", name), ("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-8"))


def reporting_events():
    def rep(t, event, update_guid, rev, hr, result, op, message, n):
        ts = f"{t:%Y-%m-%d %H:%M:%S}:{t.microsecond // 1000:03d}+0530"
        record = "{%08X-5A2B-4C97-8D40-%012X}" % (0x3F1A0000 + n, 0xB9E7A3C10000 + n)
        return "\t".join([record, ts, "1", event, "101", update_guid, str(rev), hr, "AutomaticUpdates", result, op, message, f"Q2x1Zm9yUmVwb3J0.{n}.0.0.3.0"])
    lines = []
    for n, (_, at) in enumerate(FAILURES):
        scan = at - dt.timedelta(hours=2, minutes=11, seconds=3, milliseconds=117)
        lines.append(rep(scan, "147 [AGENT_DETECTION_FINISHED]", SYNC, 0, "0", "Success", "Software Synchronization", "Windows Update Client successfully detected 1 updates.", 3 * n))
        start = at - dt.timedelta(minutes=6, seconds=40, milliseconds=210)
        lines.append(rep(start, "181 [AGENT_INSTALLING_STARTED]", "{%s}" % GUID, 201, "0", "Success", "Content Install", "Installation Started: Windows has started installing the following update: " + TITLE, 3 * n + 1))
        lines.append(rep(at, "182 [AGENT_INSTALLING_FAILED]", "{%s}" % GUID, 201, "800F0922", "Failure", "Content Install", f"Installation Failure: Windows failed to install the following update with error 0x800F0922: {TITLE}.", 3 * n + 2))
    text = "\r\n".join(lines) + "\r\n"
    write(os.path.join("SoftwareDistribution", "ReportingEvents.log"), b"\xff\xfe" + text.encode("utf-16-le"))


def windows_update_log():
    def wu(t, pid, tid, component, text):
        return f"{t:%Y/%m/%d %H:%M:%S}.{t.microsecond * 10:07d} {pid:<5} {tid:<5} {component:<15} {text}"
    out = []
    for n, (failed, _) in enumerate(FAILURES):
        pid, tid = 1180 + n * 24, 5316 + n * 8
        start = failed - dt.timedelta(minutes=6, seconds=40, milliseconds=40)
        out += [
            wu(start, pid, tid, "Agent", "* START * Installing updates CallerId = AutomaticUpdates  Id = 1"),
            wu(start + dt.timedelta(milliseconds=12), pid, tid, "Agent", "Updates to install = 1"),
            wu(start + dt.timedelta(milliseconds=15), pid, tid, "Agent", "  Title = " + TITLE),
            wu(start + dt.timedelta(milliseconds=16), pid, tid, "Agent", f"  UpdateId = {GUID}.201"),
            wu(start + dt.timedelta(milliseconds=40), pid, tid, "Handler", "CBS called Initiate with flags 0x0"),
            wu(failed, pid, tid, "Handler", "Completed install of CBS update with type=0, requiresReboot=0, installerError=1, hr=0x800f0922"),
            wu(failed + dt.timedelta(milliseconds=20), pid, tid, "Handler", f"*FAILED* [800F0922] Install of CBS update {GUID} failed"),
            wu(failed + dt.timedelta(milliseconds=190), pid, tid, "Agent", f"*FAILED* [800F0922] Install of update {GUID}.201 ({KB}) failed"),
            wu(failed + dt.timedelta(milliseconds=318), pid, tid, "Agent", "* END * Install call completed, ResultCode = 4 (Failed), hr = 0x800f0922, reboot required = No"),
        ]
    write(os.path.join("Logs", "WindowsUpdate", "WindowsUpdate.log"), ("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-8"))


def dism_log():
    t = dt.datetime(2022, 9, 15, 11, 20, 4)
    def line(text):
        return f"{t:%Y-%m-%d %H:%M:%S}, Info                  DISM   {text}"
    out = [
        line("PID=4120 TID=4124 Scratch directory set to 'C:\\Windows\\TEMP\\'. - CDISMManager::put_ScratchDir"),
        line("PID=4120 TID=4124 DismCore.dll version: 10.0.17763.1697 - CDISMManager::FinalConstruct"),
        line("Initialized Panther logging at C:\\Windows\\Logs\\DISM\\dism.log"),
        line("PID=4120 TID=4124 Successfully loaded the ImageSession at \"C:\\Windows\\system32\\Dism\" - CDISMManager::LoadLocalImageSession"),
        line("PID=4120 TID=4124 Executing command line: DISM  /Online /Cleanup-Image /ScanHealth - CDISMManager::Execute"),
    ]
    write(os.path.join("Logs", "DISM", "dism.log"), ("\r\n".join(out) + "\r\n").encode("utf-8"))


if __name__ == "__main__":
    cbs_piece("CbsPersist_20220610093000.log", dt.datetime(2022, 6, 10, 8, 0, 0, 118000), "30960001_1010101010")
    cbs_piece("CbsPersist_20220624101500.log", dt.datetime(2022, 6, 24, 9, 45, 0, 204000), "30962017_2020202020")
    reporting_events()
    windows_update_log()
    dism_log()
