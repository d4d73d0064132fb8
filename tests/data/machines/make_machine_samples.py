#!/usr/bin/env python3
"""Writes the multi-machine samples beside this script, shaped exactly like real CBS.log and Panther lines.

two-servers-same-hours/: SRV01 fails KB5014805 with 0x80073712 at 15:58; SRV02, the same build and zone, installs
KB5014805 at 16:30 while SRV01's log runs on. One history would call SRV01's failure resolved by SRV02's success.

upgrade-19045-to-22631/: one machine's CBS pieces from before (19045) and after (22631) a feature update, with the
upgrade's Panther setupact.log. Without the setup log the two builds would be two machines.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BOM = "\ufeff"


def cbs(stamp, level, component, message):
    return f"{stamp}, {level:<22}{component:<7}{message}"


def trusted_installer_start(day, local, utc, stack):
    t = f"{day} {local}"
    return [
        cbs(t, "Info", "CBS", "TI: --- Initializing Trusted Installer ---"),
        cbs(t, "Info", "CBS", "Starting TrustedInstaller initialization."),
        cbs(t, "Info", "CBS", "Ending TrustedInstaller initialization."),
        cbs(t, "Info", "CBS", "Starting the TrustedInstaller main loop."),
        cbs(t, "Info", "CBS", "TrustedInstaller service starts successfully."),
        cbs(t, "Info", "CBS", f"Universal Time is: {day} {utc}.118"),
        cbs(
            t,
            "Info",
            "CBS",
            f"Loaded Servicing Stack v10.0.{stack} with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack"
            f"_31bf3856ad364e35_10.0.{stack}_none_0a4b9fdc1d1e4f33\\cbscore.dll",
        ),
    ]


def shutdown(stamp):
    return [cbs(stamp, "Info", "CBS", "Trusted Installer is shutting down because: SHUTDOWN_REASON_AUTOSTOP")]


def install(day, times, session, package, kb, client="WindowsUpdateAgent"):
    """A package install that ends S_OK; times = (start, staged, complete)."""
    start, staged, done = (f"{day} {t}" for t in times)
    return [
        cbs(start, "Info", "CBS", f"Session: {session} initialized by client {client}, external staging directory: (null), external registry directory: (null)"),
        cbs(start, "Info", "CBS", f"Exec: Processing started.  Client: {client}, Session: {session}, Package: {package}"),
        cbs(staged, "Info", "CBS", "FLOW: Entering stage: Planning "),
        cbs(staged, "Info", "CBS", "FLOW: Entering stage: Resolving "),
        cbs(staged, "Info", "CBS", "FLOW: Entering stage: Execute "),
        cbs(done, "Info", "CBS", f"Exec: Processing complete.  Session: {session}, Package: {package}, Identifier: {kb} [HRESULT = 0x00000000 - S_OK]"),
        cbs(done, "Info", "CBS", f"Session: {session} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"),
    ]


def health_check(day, times, session):
    start, done = (f"{day} {t}" for t in times)
    return [
        cbs(start, "Info", "CBS", f"Session: {session} initialized by client DISM Package Manager Provider, external staging directory: (null), external registry directory: (null)"),
        cbs(start, "Info", "CBS", "Checking System Update Readiness."),
        cbs(done, "Info", "CBS", "Store corruption status report not found"),
        cbs(done, "Info", "CBS", f"Session: {session} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"),
    ]


def write(relative, lines):
    path = os.path.join(HERE, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\r\n") as f:
        f.write(BOM + "\n".join(lines) + "\n")


def two_servers():
    failing = open(os.path.join(HERE, "../cbs/kb5014805-wu-install-store-corrupt-0x80073712.log"), encoding="utf-8-sig").read().splitlines()
    srv01 = failing + trusted_installer_start("2022-09-09", "17:40:02", "09:40:02", "17763.3120")
    srv01 += health_check("2022-09-09", ("17:40:05", "17:41:30"), "30983219_1658210023") + shutdown("2022-09-09 17:44:31")
    write("two-servers-same-hours/SRV01/CBS.log", srv01)
    package = "Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3165.1.7"
    srv02 = trusted_installer_start("2022-09-09", "15:20:11", "07:20:11", "17763.3120")
    srv02 += health_check("2022-09-09", ("15:20:14", "15:21:02"), "30983187_1204400211")
    srv02 += install("2022-09-09", ("16:30:02", "16:31:15", "16:47:51"), "30983205_3507211873", package, "KB5014805")
    srv02 += shutdown("2022-09-09 16:50:52")
    srv02 += trusted_installer_start("2022-09-09", "17:50:10", "09:50:10", "17763.3120")
    srv02 += health_check("2022-09-09", ("17:50:12", "17:51:40"), "30983221_2455032111") + shutdown("2022-09-09 17:54:41")
    write("two-servers-same-hours/SRV02/CBS.log", srv02)


def upgrade():
    before = trusted_installer_start("2024-03-01", "10:00:03", "15:00:03", "19041.3989")
    before += install(
        "2024-03-01",
        ("10:00:06", "10:02:40", "10:19:12"),
        "31094512_1104566117",
        "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.4046.1.11",
        "KB5034763",
    ) + shutdown("2024-03-01 10:22:13")
    write("upgrade-19045-to-22631/Windows/Logs/CBS/CbsPersist_20240301152213.log", before)
    after = trusted_installer_start("2024-03-05", "09:12:44", "14:12:44", "22621.3146")
    after += install(
        "2024-03-05",
        ("09:13:01", "09:15:20", "09:31:07"),
        "31095020_0110339871",
        "Package_for_RollupFix~31bf3856ad364e35~amd64~~22621.3235.1.7",
        "KB5035853",
    ) + shutdown("2024-03-05 09:34:08")
    write("upgrade-19045-to-22631/Windows/Logs/CBS/CBS.log", after)
    panther = [
        "2024-03-02 21:04:11, Info                  SP     Setup build version is: 10.0.22621.1 (WinBuild.160101.0800)",
        "2024-03-02 21:04:11, Info                  MOUPG  SetupHost::Initialize: CmdLine = [/Install /Media /InstallFile C:\\$WINDOWS.~BT\\Sources\\Install.esd /ClientId {0F3E2D5B-9D33-4D4C-8E2B-5E0A0E4E1C4A}]",
        "2024-03-02 21:04:12, Info                  MOUPG  SetupHost: Current OS Build Version: [10.0.19045.4046]",
        "2024-03-02 21:04:15, Info                  SP     Operation completed successfully: Create a temporary local directory",
        "2024-03-02 21:40:03, Info                  MOUPG  SetupHost: Reporting result: [0x0]",
        "2024-03-02 21:40:03, Info                  SP     Operation completed successfully: Apply image",
        "2024-03-02 21:55:48, Info                  MOUPG  SetupHost::Execute: Finalize operation succeeded",
        "2024-03-02 21:55:49, Info                  SP     CSetupPlatform::Execute: Execute downlevel mode returned [0x0]",
    ]
    write("upgrade-19045-to-22631/$WINDOWS.~BT/Sources/Panther/setupact.log", panther)


if __name__ == "__main__":
    two_servers()
    upgrade()
