"""Schemathesis over the live server's OpenAPI schema, on both backends: every operation, signed in as a real user
where the schema asks for a token. No answer may be a server error, and every answer must be documented (status,
content type, headers) and match its documented schema. Cases and failures go to bench-results/server-fuzz.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.results import write_result
from tests.server.conftest import Backend
from tests.server.live import PASSWORD, random_address, register_verified

CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance",
          "content_type_conformance", "response_headers_conformance")
MAX_EXAMPLES = 100
"""Per operation and phase; about 3,000 cases and 20 s per backend."""
FIGURES: dict[str, Any] = {}

HOOKS = '''
"""Loaded by schemathesis (SCHEMATHESIS_HOOKS): signs in the fuzzing user for every operation that needs a token,
and again whenever the token stops working (the fuzzer signs out too)."""

import os
import random

import httpx
import schemathesis

URL = os.environ["OET_FUZZ_URL"]


@schemathesis.auth(retry_on=[401]).apply_to(lambda ctx: bool(ctx.operation.definition.raw.get("security")))
class SignedIn:
    def get(self, case, ctx):
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        response = httpx.post(URL + "/v1/auth/login", timeout=30, headers={"X-Forwarded-For": address},
                              json={"email": os.environ["OET_FUZZ_EMAIL"], "password": os.environ["OET_FUZZ_PASSWORD"],
                                    "device_name": "schemathesis"})
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": "Bearer " + data}
'''


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else (shutil.which("schemathesis") or "schemathesis")


def _log_entries(path: Path, offset: int) -> list[dict[str, Any]]:
    with path.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


@pytest.mark.server
def test_fuzz_every_operation(backend: Backend, tmp_path: Path) -> None:
    server = backend.server
    _, email = register_verified(server, backend.mail)
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    operations = sum(1 for item in spec["paths"].values() for method in item
                     if method in ("get", "post", "put", "patch", "delete"))
    protected = {path for path, item in spec["paths"].items() for op in item.values() if op.get("security")}
    (tmp_path / "oet_fuzz_hooks.py").write_text(HOOKS, encoding="utf-8")
    report_path = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "SCHEMATHESIS_HOOKS": "oet_fuzz_hooks",
           "OET_FUZZ_URL": server.url, "OET_FUZZ_EMAIL": email, "OET_FUZZ_PASSWORD": PASSWORD}
    command = [_schemathesis(), "run", f"{server.url}/openapi.json", "--checks", ",".join(CHECKS),
               "--max-examples", str(MAX_EXAMPLES), "--workers", "4", "--no-color", "--generation-database", "none",
               "--report", "json", "--report-json-path", str(report_path),
               "--header", f"X-Forwarded-For: {random_address()}"]
    log_offset = server.log_path.stat().st_size
    started = time.monotonic()
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - started
    assert report_path.exists(), f"schemathesis wrote no report ({run.returncode}):\n{run.stdout[-4000:]}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    cases = report["test_cases"]["generated"]
    failures = report["failures"]
    served = _log_entries(server.log_path, log_offset)
    statuses = Counter(e["status"] for e in served if "status" in e and e.get("logger") == "sync_server.access")
    signed_in = sum(1 for e in served if e.get("route") in protected and e.get("status") not in (401, None))
    print(f"\nschemathesis on {backend.name}: {cases} cases over {report['operations']['tested']} operations in "
          f"{seconds:.0f} s, {len(failures)} failure kinds, {report['auth']['reauth_count']} sign-ins again; "
          f"answers {dict(sorted(statuses.items()))}")
    FIGURES[backend.name] = {
        "cases": cases, "cases_with_failures": report["test_cases"]["with_failures"], "failures": failures,
        "errors": report["errors"], "operations_tested": report["operations"]["tested"], "checks": list(CHECKS),
        "max_examples": MAX_EXAMPLES, "seconds": round(seconds, 1), "seed": report["seed"],
        "phases": {name: phase["status"] for name, phase in report["phases"].items()},
        "server_answers": {str(k): v for k, v in sorted(statuses.items())}, "signed_in_answers": signed_in,
        "warnings": {k: v for k, v in report["warnings"].items() if v}}
    write_result("server-fuzz", FIGURES)

    assert run.returncode == 0, f"schemathesis found problems:\n{run.stdout[-12000:]}"
    assert not failures, failures
    assert not report["errors"], report["errors"]
    assert cases > 0
    assert report["operations"]["tested"] == operations, report["operations"]
    assert signed_in > 0, "no protected operation was reached signed in: the auth hook did not work"
    assert not [e for e in served if isinstance(e.get("status"), int) and e["status"] >= 500]
    assert not [e for e in served if e.get("level") in ("error", "critical")], "the server logged errors"
