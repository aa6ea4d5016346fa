"""``dev.py`` installs what the lock files name, refuses a lock that no longer matches
pyproject.toml's dependencies, and fails its audit on a known vulnerability (PyPI is
asked, as CI's audit asks it)."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("requirements.lock", "requirements-dev.lock")


def _checkout(tmp_path: Path) -> Path:
    for name in ("dev.py", "pyproject.toml", *LOCKS):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _dev(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(checkout / "dev.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _dev_module() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        return importlib.import_module("dev")
    finally:
        sys.path.remove(str(ROOT))


def test_the_committed_locks_match_pyproject() -> None:
    dev = _dev_module()
    mark = dev.LOCK_MARK + dev.dependencies_digest()
    for lock in LOCKS:
        assert (ROOT / lock).read_text().partition("\n")[0] == mark, lock
        assert "--hash=sha256:" in (ROOT / lock).read_text()


def test_a_dependency_added_without_relocking_is_refused_before_installing(
    tmp_path: Path,
) -> None:
    checkout = _checkout(tmp_path)
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"brotli>=1.1",', '"brotli>=1.1", "rich",'))
    for command in ("serve", "test", "audit"):
        refused = _dev(checkout, command)
        assert refused.returncode != 0
        assert "does not match the dependencies in pyproject.toml" in refused.stderr
        assert "python3 dev.py lock" in refused.stderr
    assert not (checkout / ".venv").exists()


def test_settings_outside_the_dependencies_leave_the_lock_valid(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 100", "line-length = 99"))
    lock_check = subprocess.run(
        [sys.executable, "-c", "import dev; dev._checked_lock('dev'); print('ok')"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lock_check.stdout.strip() == "ok", lock_check.stderr


def test_the_audit_fails_naming_a_known_vulnerability(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyCrypto's last release, abandoned with advisories that no release fixes.
    lock = tmp_path / "requirements-dev.lock"
    lock.write_text(
        "pycrypto==2.6.1 \\\n"
        "    --hash=sha256:f2ce1e989b272cfcb677616763e0a2e7ec659effa67a88aa92b3a65528f60a3c\n"
    )
    with pytest.raises(SystemExit) as exited:
        _dev_module().audit(lock)
    assert "have known vulnerabilities" in str(exited.value)
    assert "dev.py lock --upgrade-package NAME" in str(exited.value)
    assert "pycrypto==2.6.1: PYSEC-2018-97 (no fixed release yet)" in capsys.readouterr().out
