"""Nothing leaves the computer: a typed role-play through the real `oet-desktop` command, with the real default
models (the patient speaks, so ONNX Runtime runs the Piper voice), attempts no network connection and leaves no
third-party cache or telemetry file in the user's HOME.

The run starts from an environment stripped of every telemetry switch and CI marker (ONNX Runtime stays quiet
when it sees CI), so it is the app that has to turn telemetry off. Connections are watched at two levels:
Python's audit hooks (``socket.connect``, ``socket.getaddrinfo``, ``urllib.Request``, ``http.client.connect``),
and a small ``LD_PRELOAD`` library over libc's ``connect``/``getaddrinfo``/``sendto``/``sendmsg``, because
native code (ONNX Runtime's 1DS uploader, llama.cpp, CTranslate2) never passes through Python's socket module.
The library is inherited by child processes (the embedder's spawned worker), which the audit hook is not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from oet_desktop.core.paths import APP_NAME
from tests.conftest import REPO, user_environment

pytestmark = [pytest.mark.models, pytest.mark.timeout(900)]

SCENARIO = "nursing-insulin-start-driver"
TURNS = """Hello Mr Qureshi, I'm Sam, the practice nurse. I'd like to talk about starting insulin today.
What do you do for work?
Thank you for your time. Take care, goodbye.
"""

# Switches that would hide the defect if the test inherited them: telemetry and offline knobs (scripts/run-tests.sh
# exports some), and the CI markers that make ONNX Runtime suppress its telemetry by itself.
INHERITED = re.compile(r"TELEMETRY|OFFLINE|DO_NOT_TRACK|PROGRESS_BARS|UPDATE_CHECK|^ORT_|^HF_|^CI$|^TF_BUILD$|"
                       r"^GITHUB_ACTIONS$|^GITLAB_CI$|^CIRCLECI$|^TRAVIS$|^JENKINS_URL$|^CODEBUILD_BUILD_ID$|"
                       r"^BUILDKITE$|^TEAMCITY_VERSION$|^APPVEYOR$|^BITBUCKET_BUILD_NUMBER$|^LD_PRELOAD$")

NATIVE = ("onnxruntime", "piper", "llama_cpp", "ctranslate2", "faster_whisper", "sentence_transformers", "torch",
          "transformers", "huggingface_hub")
AUDITED = ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg", "urllib.Request",
           "http.client.connect")

# Installed before `oet_desktop` is imported; argv: the audit log, a file for the native libraries that were
# loaded, then the command's arguments.
BOOTSTRAP = f"""
import json, socket, sys
_log = open(sys.argv[1], "a", encoding="utf-8")
def _hook(event, args):
    if event in {AUDITED!r}:
        family = getattr(args[0], "family", None) if args and isinstance(args[0], socket.socket) else None
        shown = [a for a in args if not isinstance(a, socket.socket)]
        _log.write(json.dumps({{"event": event, "family": getattr(family, "name", family),
                               "args": [repr(a) for a in shown]}}) + "\\n")
        _log.flush()
sys.addaudithook(_hook)
from oet_desktop.cli import main
code = main(sys.argv[3:])
with open(sys.argv[2], "w", encoding="utf-8") as loaded:
    json.dump(sorted(name for name in {NATIVE!r} if name in sys.modules), loaded)
sys.exit(code)
"""

SHIM_C = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void note(const char *what, const char *detail) {
    const char *path = getenv("OET_NET_LOG");
    if (!path) return;
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s\n", what, detail ? detail : "-");
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (write(fd, line, n > (int)sizeof line ? (int)sizeof line : n) < 0) {}
    close(fd);
}

static void note_address(const char *what, const struct sockaddr *addr) {
    char text[300] = "?";
    if (!addr) return;
    if (addr->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
        snprintf(text, sizeof text, "AF_UNIX %s%s", un->sun_path[0] ? "" : "@",
                 un->sun_path[0] ? un->sun_path : un->sun_path + 1);
    } else if (addr->sa_family == AF_INET) {
        char ip[INET_ADDRSTRLEN] = "";
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(text, sizeof text, "AF_INET %s:%d", ip, ntohs(in->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        char ip[INET6_ADDRSTRLEN] = "";
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(text, sizeof text, "AF_INET6 [%s]:%d", ip, ntohs(in6->sin6_port));
    } else {
        snprintf(text, sizeof text, "family=%d", addr->sa_family);
    }
    note(what, text);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real) real = dlsym(RTLD_NEXT, "connect");
    note_address("connect", addr);
    return real(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    if (!real) real = dlsym(RTLD_NEXT, "sendto");
    if (addr) note_address("sendto", addr);
    return real(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    static ssize_t (*real)(int, const struct msghdr *, int);
    if (!real) real = dlsym(RTLD_NEXT, "sendmsg");
    if (msg && msg->msg_name) note_address("sendmsg", (const struct sockaddr *)msg->msg_name);
    return real(fd, msg, flags);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!real) real = dlsym(RTLD_NEXT, "getaddrinfo");
    note("getaddrinfo", node);
    return real(node, service, hints, res);
}
"""

LOCAL_FAMILIES = ("AF_UNIX",)
"""Local IPC, not a network: sound servers (PulseAudio, PipeWire) and D-Bus are reached over UNIX sockets, which
cannot leave the machine. (A typed role-play plays into memory and opens none; libc's own nscd socket, used while
resolving a name, is opened inside libc, out of the preloaded library's sight, and its getaddrinfo is counted.)"""


@dataclass
class PrivacyRun:
    home: Path
    result: subprocess.CompletedProcess[str]
    python_events: list[dict[str, object]]
    native_events: list[str]
    loaded: list[str]
    seconds: float


def _native_shim(folder: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed to watch native connections (scripts/install.sh installs one)"
    source, shim = folder / "netlog.c", folder / "netlog.so"
    source.write_text(SHIM_C, encoding="utf-8")
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(shim), str(source), "-ldl"], check=True)
    return shim


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory: pytest.TempPathFactory) -> PrivacyRun:
    """One typed role-play in a fresh HOME, every attempted connection logged."""
    work = tmp_path_factory.mktemp("privacy")
    home = work / "home"
    home.mkdir()
    script, audit_log, native_log = work / "turns.txt", work / "audit.jsonl", work / "native.log"
    loaded_file = work / "loaded.json"
    script.write_text(TURNS, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not INHERITED.search(name)}
    env.update(user_environment(home))
    env.update({"LD_PRELOAD": str(_native_shim(work)), "OET_NET_LOG": str(native_log)})
    command = [sys.executable, "-c", BOOTSTRAP, str(audit_log), str(loaded_file),
               "practice", "--scenario", SCENARIO, "--typed", str(script)]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=800, env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    python_events = ([json.loads(line) for line in audit_log.read_text(encoding="utf-8").splitlines()]
                     if audit_log.exists() else [])
    native_events = native_log.read_text(encoding="utf-8").splitlines() if native_log.exists() else []
    loaded = json.loads(loaded_file.read_text(encoding="utf-8")) if loaded_file.exists() else []
    print(f"typed role-play took {seconds:.1f} s; libraries loaded: {loaded}")
    return PrivacyRun(home, result, python_events, native_events, loaded, seconds)


def test_a_role_play_attempts_no_network_connection(privacy_run: PrivacyRun) -> None:
    result = privacy_run.result
    assert result.returncode == 0, result.stderr
    assert "patient (" in result.stdout
    assert "onnxruntime" in privacy_run.loaded  # the patient spoke: the Piper voice ran on ONNX Runtime
    print("python audit events:", *privacy_run.python_events, sep="\n  ")
    print("native socket calls:", *privacy_run.native_events, sep="\n  ")
    python_network = [e for e in privacy_run.python_events if e["family"] not in LOCAL_FAMILIES]
    native_network = [e for e in privacy_run.native_events if e.split(" ", 2)[1] not in LOCAL_FAMILIES]
    assert not python_network, f"the app tried to reach the network from Python: {python_network}"
    assert not native_network, f"the app tried to reach the network from native code: {native_network}"


def test_a_role_play_leaves_no_third_party_file_in_home(privacy_run: PrivacyRun) -> None:
    assert privacy_run.result.returncode == 0, privacy_run.result.stderr
    home = privacy_run.home
    found = sorted(path.relative_to(home) for path in home.rglob("*"))
    print("under HOME:", *found, sep="\n  ")
    names = {part for path in found for part in path.parts}
    for third_party in ("Microsoft", ".onnxruntime", "onnxruntime.db", "deviceid", "huggingface", "torch"):
        assert third_party not in names, f"{third_party} appeared under HOME: {found}"
    # Only the app's own folders (oet_desktop/core/paths.py, XDG on Linux) and the test keyring.
    app_roots = [Path(xdg) / APP_NAME for xdg in ("data", "cache", "config", "state")]
    allowed_files = {Path("test-keyring.json")}

    def belongs(path: Path) -> bool:
        return (path in allowed_files or any(path == root or root in path.parents for root in app_roots)
                or any(path in root.parents for root in app_roots))  # a folder leading to one of them

    strangers = [path for path in found if not belongs(path)]
    assert not strangers, f"files outside the app's own folders: {strangers}"


def test_importing_the_package_forces_telemetry_off_before_any_library_loads() -> None:
    """Every entry point imports ``oet_desktop`` first; that import turns telemetry off even against values the
    shell set the other way, and loads none of the libraries it has to precede."""
    from oet_desktop.core.privacy import TELEMETRY_OFF

    probe = ("import json, os, sys, oet_desktop; "
             f"print(json.dumps([{{k: os.environ.get(k) for k in {sorted(TELEMETRY_OFF)!r}}}, "
             f"[m for m in {NATIVE!r} if m in sys.modules]]))")
    env = {name: value for name, value in os.environ.items() if not INHERITED.search(name)}
    env.update({"PYTHONPATH": str(REPO), "ORT_DISABLE_TELEMETRY": "0", "DO_NOT_TRACK": "0", "HF_HUB_OFFLINE": "0"})
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60,
                            check=True)
    switches, loaded = json.loads(result.stdout)
    assert switches == dict(TELEMETRY_OFF)
    assert loaded == []
