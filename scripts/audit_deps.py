"""`make lint`'s dependency audit: pip-audit over the locked packages (uv.lock, exported).

pip-audit asks PyPI's vulnerability service about each locked version. Found vulnerabilities
fail the run (upgrade the package, `uv lock --upgrade-package NAME`). Where the service cannot
be reached (an offline machine, a registry mirror without PyPI's JSON API) pip-audit can audit
nothing: that is said plainly and, unless PUHUI_AUDIT_STRICT=1, does not fail the lint.
Answers are cached in var/pip-audit-cache (`--cache-dir`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-emit-project", "--format", "requirements-txt"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cache = ROOT / "var" / "pip-audit-cache"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(exported)
        requirements.flush()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--requirement",
                requirements.name,
                "--disable-pip",
                "--require-hashes",
                "--cache-dir",
                str(cache),
                "--progress-spinner",
                "off",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
        )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout + run.stderr, file=sys.stderr)
        return run.returncode or 1
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {len(deps)} locked packages, {len(audited)} audited, "
        f"{len(vulnerable)} with known vulnerabilities"
    )
    if vulnerable:
        return 1
    if deps and not audited:
        print(
            "pip-audit: the vulnerability service could not be reached from this machine, so "
            "nothing was audited (set PUHUI_AUDIT_STRICT=1 to fail on that)",
            file=sys.stderr,
        )
        return 1 if os.environ.get("PUHUI_AUDIT_STRICT") == "1" else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
