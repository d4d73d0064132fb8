#!/usr/bin/env python3
"""Writes the example bundle's ReportingEvents.log (UTF-16LE with BOM, CRLF, 13 tab-separated columns, as
Windows writes it) and WindowsUpdate.log (Get-WindowsUpdateLog output, UTF-8 with BOM) for case CAS-07293.

They carry what survived CBS rotation in the real case: KB5014805 failing with 0x80073712 on 2022-09-09
15:58:23 and 2022-10-10 16:38:25 (local, UTC+08:00), plus routine detections and the successful installs that
the CBS pieces of the bundle also show. Run from the repository root: python3 examples/cas-07293-src/make_text_sources.py
"""
import datetime as dt
import hashlib
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "cas-07293", "Windows")
TZ = "+0800"
KB5014805_GUID = "{5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21}"
TITLE = "Cumulative Update for Windows Server 2019 (1809) for x64-based Systems (KB5014805)"
UPDATES = {
    "KB5017400": ("{C2D9A1E4-7B3F-4D0A-8E61-0F5B3A9C7D12}", "Servicing Stack Update for Windows Server 2019 (1809) for x64-based Systems (KB5017400)"),
    "KB4052623": ("{8A0F6C3B-2E9D-4B71-A5C4-71D2E0F9B384}", "Update for Microsoft Defender Antivirus antimalware platform - KB4052623 (Version 4.18.2209.7)"),
    "KB5016568": ("{E4B7D5A2-9C1F-4E38-B06D-3A8F2C5E9D71}", "Cumulative Update for .NET Framework 3.5, 4.7.2 and 4.8 for Windows Server 2019 for x64 (KB5016568)"),
    "KB5018506": ("{1F6C8E3D-5A2B-4C97-8D40-B9E7A3C1F526}", "Security Update for Windows Server 2019 (1809) for x64-based Systems (KB5018506)"),
}


def guid(*parts):
    h = hashlib.sha1("|".join(parts).encode()).hexdigest().upper()
    return "{%s-%s-%s-%s-%s}" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def cv(*parts):
    h = hashlib.sha1(("cv" + "|".join(parts)).encode()).digest()
    import base64
    return base64.b64encode(h[:12]).decode()[:16] + ".1.0.0.3.0"


def rep(t, event, update_guid, rev, hr, caller, result, op, message):
    ts = t.strftime("%Y-%m-%d %H:%M:%S:") + f"{t.microsecond // 1000:03d}" + TZ
    fields = [guid(ts, event, message), ts, "1", event, "101", update_guid, str(rev), hr, caller, result, op, message, cv(ts, message)]
    return "\t".join(fields)


def reporting_events():
    lines = []
    day = dt.datetime(2022, 9, 1, 3, 12, 41, 118000)
    sync = "{9482F4B4-E343-43B6-B170-9A65BC822C77}"
    while day < dt.datetime(2022, 10, 24, 12):
        lines.append((day, rep(day, "147 [AGENT_DETECTION_FINISHED]", sync, 0, "0", "AutomaticUpdates", "Success", "Software Synchronization", "Windows Update Client successfully detected 1 updates.")))
        day += dt.timedelta(hours=22, minutes=7, seconds=13, milliseconds=311)

    def attempt(start, fail_at, hr_hex):
        dl = start - dt.timedelta(minutes=3, seconds=12, milliseconds=417)
        lines.append((dl, rep(dl, "162 [AGENT_DOWNLOAD_SUCCEEDED]", KB5014805_GUID, 201, "0", "AutomaticUpdates", "Success", "Content Download", "Download succeeded.")))
        lines.append((start, rep(start, "181 [AGENT_INSTALLING_STARTED]", KB5014805_GUID, 201, "0", "AutomaticUpdates", "Success", "Content Install", "Installation Started: Windows has started installing the following update: " + TITLE)))
        lines.append((fail_at, rep(fail_at, "182 [AGENT_INSTALLING_FAILED]", KB5014805_GUID, 201, hr_hex, "AutomaticUpdates", "Failure", "Content Install", f"Installation Failure: Windows failed to install the following update with error 0x{hr_hex}: {TITLE}.")))

    attempt(dt.datetime(2022, 9, 9, 15, 57, 39, 902000), dt.datetime(2022, 9, 9, 15, 58, 23, 417000), "80073712")
    attempt(dt.datetime(2022, 10, 10, 16, 37, 44, 205000), dt.datetime(2022, 10, 10, 16, 38, 25, 731000), "80073712")
    for kb, when in [("KB5017400", dt.datetime(2022, 9, 27, 3, 6, 12, 40000)), ("KB4052623", dt.datetime(2022, 10, 11, 14, 22, 23, 511000)),
                     ("KB5016568", dt.datetime(2022, 10, 18, 2, 37, 29, 90000)), ("KB5018506", dt.datetime(2022, 10, 21, 2, 41, 51, 377000))]:
        g, title = UPDATES[kb]
        start = when - dt.timedelta(minutes=4, seconds=51, milliseconds=200)
        lines.append((start, rep(start, "181 [AGENT_INSTALLING_STARTED]", g, 200, "0", "AutomaticUpdates", "Success", "Content Install", "Installation Started: Windows has started installing the following update: " + title)))
        lines.append((when, rep(when, "183 [AGENT_INSTALLING_SUCCEEDED]", g, 200, "0", "AutomaticUpdates", "Success", "Content Install", "Installation Successful: Windows successfully installed the following update: " + title)))
    lines.sort(key=lambda x: x[0])
    text = "\r\n".join(l for _, l in lines) + "\r\n"
    path = os.path.join(ROOT, "SoftwareDistribution", "ReportingEvents.log")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + text.encode("utf-16-le"))
    return len(lines)


def wu_line(t, pid, tid, component, text):
    return f"{t.strftime('%Y/%m/%d %H:%M:%S')}.{t.microsecond * 10:07d} {pid:<5} {tid:<5} {component:<15} {text}"


def windows_update_log():
    out = []
    def attempt(start, fail_at, pid, tid):
        t = start
        out.append(wu_line(t, pid, tid, "Agent", "* START * Installing updates CallerId = AutomaticUpdates  Id = 1"))
        out.append(wu_line(t + dt.timedelta(milliseconds=12), pid, tid, "Agent", "Updates to install = 1"))
        out.append(wu_line(t + dt.timedelta(milliseconds=15), pid, tid, "Agent", "  Title = " + TITLE))
        out.append(wu_line(t + dt.timedelta(milliseconds=16), pid, tid, "Agent", "  UpdateId = 5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21.201"))
        out.append(wu_line(t + dt.timedelta(milliseconds=40), pid, tid, "Handler", "CBS called Initiate with flags 0x0"))
        out.append(wu_line(fail_at - dt.timedelta(milliseconds=310), pid, tid, "Handler", "Completed install of CBS update with type=0, requiresReboot=0, installerError=1, hr=0x80073712"))
        out.append(wu_line(fail_at - dt.timedelta(milliseconds=290), pid, tid, "Handler", "*FAILED* [80073712] Install of CBS update 5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21 failed"))
        out.append(wu_line(fail_at - dt.timedelta(milliseconds=120), pid, tid, "Agent", "*FAILED* [80073712] Install of update 5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21.201 (KB5014805) failed"))
        out.append(wu_line(fail_at, pid, tid, "Agent", "Install complete for all calls (cV = gOrxJj4tOkWYGPb2.1.1.0)"))
        out.append(wu_line(fail_at + dt.timedelta(milliseconds=8), pid, tid, "Agent", "* END * Install call completed, ResultCode = 4 (Failed), hr = 0x80073712, reboot required = No"))
    out.append(wu_line(dt.datetime(2022, 9, 9, 15, 50, 2, 118000), 1088, 2964, "Agent", "* START * Finding updates CallerId = AutomaticUpdates  Id = 8"))
    out.append(wu_line(dt.datetime(2022, 9, 9, 15, 50, 9, 407000), 1088, 2964, "Agent", "* END * Finding updates CallerId = AutomaticUpdates  Id = 8, found 1 updates, hr = 0x00000000"))
    attempt(dt.datetime(2022, 9, 9, 15, 57, 39, 851000), dt.datetime(2022, 9, 9, 15, 58, 23, 402000), 1088, 4412)
    out.append(wu_line(dt.datetime(2022, 10, 10, 16, 30, 11, 620000), 1104, 3308, "Agent", "* START * Finding updates CallerId = AutomaticUpdates  Id = 3"))
    out.append(wu_line(dt.datetime(2022, 10, 10, 16, 30, 18, 944000), 1104, 3308, "Agent", "* END * Finding updates CallerId = AutomaticUpdates  Id = 3, found 1 updates, hr = 0x00000000"))
    attempt(dt.datetime(2022, 10, 10, 16, 37, 44, 160000), dt.datetime(2022, 10, 10, 16, 38, 25, 712000), 1104, 5120)
    text = "\ufeff" + "\r\n".join(out) + "\r\n"
    path = os.path.join(ROOT, "Logs", "WindowsUpdate", "WindowsUpdate.log")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    return len(out)


if __name__ == "__main__":
    print("ReportingEvents.log lines:", reporting_events())
    print("WindowsUpdate.log lines:", windows_update_log())
