"""GGUF models fetched into Sector's model folder: by Hugging Face `repo/file.gguf` or by URL,
resumed from a `.part` file, checked by sha256 and by the GGUF magic before they are kept."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sector_cli.config.paths import data_dir
from sector_cli.errors import SectorError, UsageError

GGUF_MAGIC = b"GGUF"
DEFAULT_HUB = "https://huggingface.co"
HUB_VARIABLES = ("SECTOR_HF_ENDPOINT", "HF_ENDPOINT")
CHUNK = 1 << 20
SHA256 = re.compile(r'^(?:W/)?"?([0-9a-f]{64})"?$')
Progress = Callable[[int, int | None], None]  # bytes so far, total when known


class PullError(SectorError):
    exit_code = 1


@dataclass(frozen=True)
class Pulled:
    path: Path
    size: int
    sha256: str
    resumed_from: int


def models_dir() -> Path:
    return data_dir() / "models"


def source_url(name: str) -> str:
    """A URL as given; `owner/repo/file.gguf` as the hub's download address for it."""
    if re.match(r"^https?://", name):
        return name
    parts = name.strip("/").split("/")
    if len(parts) < 3 or not parts[-1].endswith(".gguf"):
        raise UsageError(
            f"{name!r} is neither a URL nor a Hugging Face owner/repo/file.gguf",
            "e.g. sector models pull "
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        )
    hub = next((os.environ[v] for v in HUB_VARIABLES if os.environ.get(v)), DEFAULT_HUB)
    return f"{hub.rstrip('/')}/{'/'.join(parts[:2])}/resolve/main/{'/'.join(parts[2:])}"


def _server_sha256(headers: Mapping[str, str]) -> str | None:
    """Hugging Face names an LFS file's sha256 in X-Linked-ETag (else ETag)."""
    for name in ("x-linked-etag", "etag"):
        found = SHA256.match(str(headers.get(name) or "").strip())
        if found:
            return found.group(1)
    return None


def pull(name: str, sha256: str | None = None, progress: Progress | None = None) -> Pulled:
    """Download `name` into the model folder; raises PullError with what went wrong."""
    import httpx

    url = source_url(name)
    target = models_dir() / url.rsplit("/", 1)[-1].split("?")[0]
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    start = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={start}-"} if start else {}
    try:
        with httpx.stream("GET", url, headers=headers, follow_redirects=True, timeout=30) as got:
            if got.status_code == 416:  # the part is already whole
                got.close()
            elif got.status_code >= 400:
                raise PullError(f"{url} answered HTTP {got.status_code}", "Check the name or URL")
            else:
                start = start if got.status_code == 206 else 0
                expected = sha256 or _server_sha256(got.headers)
                total = got.headers.get("content-length")
                total_size = start + int(total) if total else None
                with part.open("ab" if start else "wb") as out:
                    done = start
                    for block in got.iter_bytes():  # written as it comes: a cut loses nothing
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done, total_size)
                sha256 = expected
    except httpx.HTTPError as exc:
        raise PullError(
            f"the download of {url} broke: {exc}",
            f"Run the same command again: it resumes from {part.name}",
        ) from None
    return _keep(part, target, sha256, start)


def _keep(part: Path, target: Path, sha256: str | None, resumed_from: int) -> Pulled:
    with part.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        part.unlink()
        raise PullError(f"{target.name} is not a GGUF model file", "Pull a .gguf file")
    digest = hashlib.sha256()
    with part.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    actual = digest.hexdigest()
    if sha256 and actual != sha256.lower():
        part.unlink()  # wrong bytes: resuming on them would never match
        raise PullError(
            f"checksum mismatch for {target.name}: got {actual[:12]}…, expected {sha256[:12]}…",
            "Pull it again; check --sha256",
        )
    part.replace(target)
    target.with_name(target.name + ".sha256").write_text(f"{actual}  {target.name}\n")
    return Pulled(target, target.stat().st_size, actual, resumed_from)


def installed() -> list[Path]:
    folder = models_dir()
    return sorted(folder.glob("*.gguf")) if folder.is_dir() else []
