"""Drive the real switch: Kamailio (deploy/kamailio/kamailio.cfg) and SIPp sites and callers.

Used by tests/integration/test_kamailio.py and bench/kamailio.py; no pytest here (errors are
`SwitchError`). Every process is started with its own log file and stopped by pid (`stop`).

    ensure_packages()                       Debian packages, installed with apt-get when missing
    start_switch(...) -> Switch             kamailio -DD -E, own pid file and runtime dir
    TrafficReporting / wait_log(...)        the switch's traffic reports (evapi + CDR POSTs)
    start_site(...) -> Site                 SIPp UAS "call-center site" (answer | busy | noanswer)
    run_callers(...) -> CallerRun           SIPp UAC to completion; one AnsweredCall per 200 OK
                                            (scenario "uac"), one FinalStatus per failed call
                                            ("uac_fail", "uac_cancel")
    start_callers(...) / finish_callers()   the same in the background
    probe_invite(port, dnis) -> Probe       one INVITE over UDP; the final status and how long it took
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "kamailio"
CONFIG = DEPLOY / "kamailio.cfg"
SCENARIOS = DEPLOY / "sipp"
PACKAGES = (
    "kamailio",
    "kamailio-utils-modules",
    "kamailio-extra-modules",
    "kamailio-json-modules",
    "sip-tester",
)
MODULES_DIR = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
NEEDED_MODULES = (
    *("tm.so", "tmx.so", "rtjson.so", "jansson.so", "async.so", "http_client.so"),
    *("dialog.so", "acc.so", "acc_json.so", "mqueue.so", "evapi.so", "rtimer.so"),  # traffic reports
)
SITE_KINDS = ("answer", "busy", "noanswer")
CALLER_SCENARIOS = ("uac", "uac_fail", "uac_cancel", "uac_codes")


class SwitchError(RuntimeError):
    """A switch or SIPp process did not start, answer or finish as expected (message says why)."""


# --- packages -------------------------------------------------------------------------------------


def missing_parts() -> list[str]:
    """What of Kamailio/SIPp is not installed (empty when everything is there)."""
    missing = [b for b in ("kamailio", "sipp") if shutil.which(b) is None]
    modules_dir = _modules_dir()
    missing += [m for m in NEEDED_MODULES if modules_dir is None or not (modules_dir / m).exists()]
    return missing


def _modules_dir() -> Path | None:
    if MODULES_DIR.is_dir():
        return MODULES_DIR
    found = sorted(Path("/usr/lib").glob("*/kamailio/modules"))
    return found[0] if found else None


def ensure_packages() -> None:
    """Install the Debian packages when any part is missing (a clean CI machine); fail if that fails."""
    if not missing_parts():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False, timeout=300)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", *PACKAGES],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    still = missing_parts()
    if still:
        raise SwitchError(
            f"could not install {' '.join(PACKAGES)} (still missing: {', '.join(still)}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )


# --- processes ------------------------------------------------------------------------------------


def free_udp_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1 (SIP listens on UDP)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Terminate one process we started (by its pid), kill it after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} not written)"


def _udp_port_bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


# --- the switch -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScpAccess:
    """Where the switch asks (network plane base URL of the toll-free resource) and with what.
    The call-center router is asked at the same network plane (`…/callcenter`)."""

    base_url: str  # e.g. https://127.0.0.1:8450/tollfree
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class TrafficReporting:
    """Where the switch reports traffic: its evapi listener (the portal dials it) and the network
    plane base URL of the traffic resource (CDRs are POSTed to `<base_url>/events` with the SCP's
    element certificate). Without it the switch runs WITHOUT_TRAFFIC."""

    evapi_port: int
    base_url: str  # e.g. https://127.0.0.1:8450/traffic


@dataclass(frozen=True)
class OutboundTrunk:
    """The customer-PBX side of the switch (OUTBOUND_PORT): every INVITE there asks the outbound
    resource (`<network plane>/outbound/decide`) and, allowed, goes to `gateway` (host:port)."""

    port: int
    gateway: str


@dataclass(frozen=True)
class Switch:
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    outbound: OutboundTrunk | None = None

    def log_tail(self, lines: int = 60) -> str:
        return tail(self.log_path, lines)


def switch_command(
    run_dir: Path,
    *,
    port: int,
    scp: ScpAccess | None = None,
    static_site: str | None = None,
    test_clock: bool = False,
    sip_workers: int = 4,
    async_workers: int = 8,
    shm_mb: int = 512,
    traffic: TrafficReporting | None = None,
    outbound: OutboundTrunk | None = None,
    probes: Path | None = None,
) -> list[str]:
    """`kamailio …` for deploy/kamailio/kamailio.cfg: SCP lookup (`scp`) or WITH_STATIC_ROUTE (with
    `scp` too, its element certificate reports traffic);
    `outbound` opens the customer-PBX port (it asks the network plane of `scp` too).
    Shared memory holds every transaction for tm's 5 s wait timer: ~100 MB at 1,000 calls/s.
    `traffic` turns the traffic reports on (they use the SCP's credentials, so `scp` is needed);
    without it the switch runs WITHOUT_TRAFFIC. `probes` (a dispatcher list file, with `traffic`)
    turns on site probing: SIP OPTIONS every second, down after 2 misses, reported to the events
    resource on the same network plane."""
    defines = [f"SIP_PORT={port}", f"SIP_WORKERS={sip_workers}", f"ASYNC_WORKERS={async_workers}"]
    if static_site is not None:
        defines += ["WITH_STATIC_ROUTE", f'STATIC_SITE="{static_site}"']
    if scp is not None:  # with a static site too: its certificate reports traffic
        defines += [
            f'SCP_HTTPCON="scp=>{scp.base_url}"',
            f'CALLCENTER_HTTPCON="callcenter=>{scp.base_url.rsplit("/", 1)[0]}/callcenter"',
            f'SCP_CA="{scp.ca}"',
            f'SCP_CERT="{scp.cert}"',
            f'SCP_KEY="{scp.key}"',
        ]
    elif static_site is None:
        raise ValueError("give the SCP access or a static site")
    if outbound is not None:
        if scp is None:
            raise ValueError("the outbound decision uses the SCP's element certificate: give `scp` too")
        defines += [
            f"OUTBOUND_PORT={outbound.port}",
            f'OUTBOUND_HTTPCON="outbound=>{scp.base_url.rsplit("/", 1)[0]}/outbound"',
            f'PSTN_GATEWAY="{outbound.gateway}"',
        ]
    if test_clock:
        defines.append("WITH_TEST_CLOCK")
    if traffic is None:
        defines.append("WITHOUT_TRAFFIC")
    elif scp is None:
        raise ValueError("traffic reports use the SCP's element certificate: give `scp` too")
    else:
        defines += [
            f'EVAPI_ADDR="127.0.0.1:{traffic.evapi_port}"',
            f'TRAFFIC_HTTPCON="traffic=>{traffic.base_url}"',
        ]
        if probes is not None:
            defines += [
                f'PROBE_LIST="{probes}"',
                "PROBE_INTERVAL=1",
                f'EVENTS_HTTPCON="events=>{traffic.base_url.rsplit("/", 1)[0]}/events"',
            ]
    command = ["kamailio", "-f", str(CONFIG), "-DD", "-E", "-P", str(run_dir / "kamailio.pid")]
    command += ["-Y", str(run_dir), "-m", str(shm_mb)]
    for d in defines:
        command += ["-A", d]
    return command


def start_switch(
    run_dir: Path,
    *,
    scp: ScpAccess | None = None,
    static_site: str | None = None,
    test_clock: bool = False,
    sip_workers: int = 4,
    async_workers: int = 8,
    name: str = "kamailio",
    traffic: TrafficReporting | None = None,
    outbound_gateway: str | None = None,
    probes: Path | None = None,
) -> Switch:
    """Start Kamailio on a free port and wait until it answers an OPTIONS ping. With
    `outbound_gateway` (host:port) it also takes customer-PBX calls on a second free port."""
    run_dir.mkdir(parents=True, exist_ok=True)
    port = free_udp_port()
    outbound = OutboundTrunk(port=free_udp_port(), gateway=outbound_gateway) if outbound_gateway else None
    command = switch_command(
        run_dir,
        port=port,
        scp=scp,
        static_site=static_site,
        test_clock=test_clock,
        sip_workers=sip_workers,
        async_workers=async_workers,
        traffic=traffic,
        outbound=outbound,
        probes=probes,
    )
    log_path = run_dir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=run_dir, stdout=log, stderr=subprocess.STDOUT)
    switch = Switch(port=port, proc=proc, log_path=log_path, outbound=outbound)
    try:
        wait_switch_ready(switch)
    except BaseException:
        stop(proc)
        raise
    return switch


def wait_switch_ready(switch: Switch, *, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if switch.proc.poll() is not None:
            raise SwitchError(f"kamailio exited with {switch.proc.returncode}\n{switch.log_tail()}")
        if options_ping(switch.port, timeout=0.3) == 200:
            return
    raise SwitchError(f"kamailio did not answer OPTIONS on port {switch.port}\n{switch.log_tail()}")


def wait_log(switch: Switch, needle: str, *, timeout: float = 20) -> None:
    """Wait until the switch's log has a line containing `needle` (e.g. the evapi client connected)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if switch.proc.poll() is not None:
            raise SwitchError(f"kamailio exited with {switch.proc.returncode}\n{switch.log_tail()}")
        if needle in switch.log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SwitchError(f"no {needle!r} in the kamailio log after {timeout} s\n{switch.log_tail()}")


def options_ping(port: int, *, timeout: float) -> int | None:
    """Status code of an OPTIONS to sip:127.0.0.1:<port>, None without an answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
        msg = _request("OPTIONS", f"sip:127.0.0.1:{port}", local, to=f"sip:127.0.0.1:{port}")
        s.settimeout(timeout)
        s.sendto(msg.encode(), ("127.0.0.1", port))
        try:
            return _status(s.recv(65535).decode(errors="replace"))[0]
        except (TimeoutError, ConnectionRefusedError):
            return None


def _request(
    method: str, uri: str, local_port: int, *, to: str, extra: str = "", caller: str = "3125550100"
) -> str:
    return (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{uuid.uuid4().hex[:16]}\r\n"
        f"From: <sip:{caller}@127.0.0.1:{local_port}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <{to}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}@probe\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:probe@127.0.0.1:{local_port}>\r\n"
        f"Max-Forwards: 70\r\n{extra}"
        f"Content-Length: 0\r\n\r\n"
    )


def _status(data: str) -> tuple[int, str]:
    first = data.split("\r\n", 1)[0]
    _, code, *reason = first.split(" ")
    return int(code), " ".join(reason)


@dataclass(frozen=True)
class Probe:
    code: int  # final status
    reason: str
    seconds: float  # INVITE sent → final status received
    headers: dict[str, str] = field(default_factory=dict)  # of the final response (name lowercased)


def probe_invite(
    port: int,
    dnis: str,
    *,
    timeout: float = 15,
    caller: str = "3125550100",
    headers: dict[str, str] | None = None,
) -> Probe:
    """One INVITE to sip:<dnis>@switch from `caller` with extra `headers`; returns its final
    response (1xx skipped). For rejects, and for single calls a site answers (never ACKed: the
    site's retransmissions end with its timer)."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
        uri = f"sip:{dnis}@127.0.0.1:{port}"
        msg = _request("INVITE", uri, local, to=uri, extra=extra, caller=caller)
        s.settimeout(timeout)
        started = time.monotonic()
        s.sendto(msg.encode(), ("127.0.0.1", port))
        while True:
            data = s.recv(65535).decode(errors="replace")
            code, reason = _status(data)
            if code >= 200:
                return Probe(
                    code=code, reason=reason, seconds=time.monotonic() - started, headers=_headers(data)
                )


def _headers(data: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in data.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


# --- SIPp sites -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteCall:
    call_id: str
    site: str
    route: str  # the X-Switchboard-Route header the switch added ("" when none)


@dataclass(frozen=True)
class Site:
    name: str
    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path  # one line per INVITE received
    errors_path: Path

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def calls(self) -> list[SiteCall]:
        out: list[SiteCall] = []
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            parts = line.strip().split(" ", 2)
            if len(parts) >= 2:
                out.append(
                    SiteCall(call_id=parts[0], site=parts[1], route=parts[2] if len(parts) > 2 else "")
                )
        return out


def start_site(run_dir: Path, *, name: str, kind: str = "answer", port: int | None = None) -> Site:
    """A SIPp UAS playing call-center site `name` (see deploy/kamailio/sipp/uas_<kind>.xml). A
    port picked here may be taken by another process before SIPp binds it (tests run in
    parallel): then it tries another; a port the caller gives is used or fails."""
    if kind not in SITE_KINDS:
        raise ValueError(f"site kind must be one of {SITE_KINDS}, got {kind!r}")
    run_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1 if port else 3):
        try:
            return _start_site(run_dir, name=name, kind=kind, port=port or free_udp_port())
        except SwitchError as exc:
            if "Address already in use" not in str(exc) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start_site(run_dir: Path, *, name: str, kind: str, port: int) -> Site:
    log_path, errors_path = run_dir / f"site-{name}.log", run_dir / f"site-{name}-errors.log"
    errors_path.unlink(missing_ok=True)
    command = [
        "sipp",
        *("-sf", str(SCENARIOS / f"uas_{kind}.xml")),
        *("-i", "127.0.0.1", "-p", str(port), "-set", "site", name),
        "-aa",  # answer the switch's SIP OPTIONS probes with 200
        *("-trace_logs", "-log_file", str(log_path), "-trace_err", "-error_file", str(errors_path)),
        "-nostdin",
    ]
    proc = subprocess.Popen(command, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    site = Site(name=name, kind=kind, port=port, proc=proc, log_path=log_path, errors_path=errors_path)
    deadline = time.monotonic() + 10
    while not _udp_port_bound(port) or proc.poll() is not None:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise SwitchError(f"SIPp site {name} did not start on {port}\n{tail(errors_path)}")
        time.sleep(0.05)
    return site


# --- SIPp callers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweredCall:
    at: float  # epoch seconds when the caller got the 200 OK
    call_id: str
    site: str  # X-Site of the answering site


@dataclass(frozen=True)
class FinalStatus:
    at: float  # epoch seconds when the caller got the final (failure) response
    call_id: str
    code: int


@dataclass(frozen=True)
class CallerRun:
    returncode: int
    answered: list[AnsweredCall]
    successful: int
    failed: int
    seconds: float  # callers started → last call ended (wall clock)
    invite_ms: float | None  # mean INVITE → 200 OK of the successful calls (SIPp rtd "invite")
    log_path: Path
    failures: list[FinalStatus] = field(default_factory=list)  # uac_fail / uac_cancel callers

    def per_site(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.answered:
            counts[call.site] = counts.get(call.site, 0) + 1
        return counts


@dataclass(frozen=True)
class Callers:
    proc: subprocess.Popen[bytes]
    started: float
    log_path: Path
    stat_path: Path
    screen_path: Path
    output_path: Path  # SIPp's own stdout/stderr (command line errors land here)


def start_callers(
    run_dir: Path,
    *,
    switch_port: int,
    dnis: str,
    calls: int,
    rate: float,
    name: str = "callers",
    ani: str = "3125550100",
    test_time: int | None = None,
    call_id_format: str | None = None,
    max_seconds: int = 60,
    hold_ms: int = 200,
    max_open_calls: int | None = None,
    scenario: str = "uac",
    codes: tuple[str, str] | None = None,
) -> Callers:
    """SIPp UAC placing `calls` calls at `rate` calls/s through the switch, in the background.
    Each answered call is held `hold_ms` before the BYE; `max_open_calls` (default: `calls`)
    caps calls in progress, so an overloaded switch slows the callers down instead of failing.
    `scenario`: "uac" (calls are answered), "uac_fail" (each call ends in a failure response),
    "uac_cancel" (the caller hangs up `hold_ms` after the 180), "uac_codes" ("uac" keying `codes`:
    the authorization and account code headers) — deploy/kamailio/sipp/<scenario>.xml."""
    if scenario not in CALLER_SCENARIOS:
        raise ValueError(f"caller scenario must be one of {CALLER_SCENARIOS}, got {scenario!r}")
    if (scenario == "uac_codes") != (codes is not None):
        raise ValueError("give `codes` with the uac_codes scenario, and only with it")
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / f"{name}.log"
    stat_path, screen_path = run_dir / f"{name}-stat.csv", run_dir / f"{name}-screen.log"
    for p in (log_path, stat_path, screen_path):
        p.unlink(missing_ok=True)
    command = [
        "sipp",
        f"127.0.0.1:{switch_port}",
        *("-sf", str(SCENARIOS / f"{scenario}.xml"), "-s", dnis),
        *("-set", "ani", ani, "-set", "ts", "now" if test_time is None else str(test_time)),
        *("-i", "127.0.0.1", "-p", str(free_udp_port())),
        *("-m", str(calls), "-r", f"{rate:g}", "-l", str(max_open_calls or max(calls, 10))),
        *("-d", str(hold_ms)),
        *("-trace_logs", "-log_file", str(log_path), "-trace_err"),
        *("-error_file", str(run_dir / f"{name}-errors.log")),
        *("-trace_stat", "-stf", str(stat_path), "-trace_screen", "-screen_file", str(screen_path)),
        *("-timeout", f"{max_seconds}s", "-timeout_error", "-nostdin"),
    ]
    if codes is not None:
        command += ["-set", "auth", codes[0], "-set", "account", codes[1]]
    if call_id_format is not None:
        command += ["-cid_str", call_id_format]
    output_path = run_dir / f"{name}-output.log"
    with output_path.open("wb") as output:
        proc = subprocess.Popen(command, cwd=run_dir, stdout=output, stderr=subprocess.STDOUT)
    return Callers(
        proc=proc,
        started=time.monotonic(),
        log_path=log_path,
        stat_path=stat_path,
        screen_path=screen_path,
        output_path=output_path,
    )


def finish_callers(callers: Callers, *, timeout: float = 90) -> CallerRun:
    try:
        returncode = callers.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(callers.proc)
        raise SwitchError(
            f"SIPp callers still running after {timeout} s\n{tail(callers.screen_path)}"
        ) from None
    seconds = time.monotonic() - callers.started
    if not callers.stat_path.exists():
        raise SwitchError(f"SIPp callers exited with {returncode}:\n{tail(callers.output_path, 20)}")
    row = _final_stats(callers.stat_path)
    return CallerRun(
        returncode=returncode,
        answered=answered_calls(callers.log_path),
        successful=int(row.get("SuccessfulCall(C)") or 0),
        failed=int(row.get("FailedCall(C)") or 0),
        seconds=seconds,
        invite_ms=_duration_ms(row.get("ResponseTimeinvite(C)")),
        log_path=callers.log_path,
        failures=failed_calls(callers.log_path),
    )


def run_callers(run_dir: Path, **options: object) -> CallerRun:
    """`start_callers` and wait for the last call (same options)."""
    return finish_callers(start_callers(run_dir, **options))  # type: ignore[arg-type]


def answered_calls(log_path: Path) -> list[AnsweredCall]:
    """Lines "<sec> <usec> <call-id> <site>" of uac.xml (SIPp prints its doubles as 1.000000)."""
    out: list[AnsweredCall] = []
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and not parts[3].startswith(_STATUS):
            sec, usec, call_id, site = parts
            out.append(AnsweredCall(at=float(sec) + float(usec) / 1e6, call_id=call_id, site=site))
    return out


_STATUS = "status="


def failed_calls(log_path: Path) -> list[FinalStatus]:
    """Lines "<sec> <usec> <call-id> status=<code>" of uac_fail.xml / uac_cancel.xml."""
    out: list[FinalStatus] = []
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith(_STATUS):
            sec, usec, call_id, status = parts
            code = int(status.removeprefix(_STATUS))
            out.append(FinalStatus(at=float(sec) + float(usec) / 1e6, call_id=call_id, code=code))
    return out


def _final_stats(stat_path: Path) -> dict[str, str]:
    """The last (cumulative) row of SIPp's -trace_stat CSV by column name."""
    lines = [ln for ln in stat_path.read_text(errors="replace").splitlines() if ln.strip()]
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False))


def _duration_ms(value: str | None) -> float | None:
    """SIPp's "HH:MM:SS:uuuuuu" as milliseconds."""
    if not value:
        return None
    hours, minutes, seconds, micros = (int(p) for p in value.split(":"))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + micros / 1000


def counts(calls: Sequence[SiteCall]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in calls:
        out[c.site] = out.get(c.site, 0) + 1
    return out
