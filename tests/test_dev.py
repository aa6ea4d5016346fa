"""``dev.py`` installs what the lock files name, and refuses a lock that no longer matches
pyproject.toml's dependencies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_the_committed_locks_match_pyproject(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import dev  # noqa: PLC0415
    finally:
        sys.path.remove(str(ROOT))
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
