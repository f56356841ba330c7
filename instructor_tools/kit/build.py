"""Build, verify and describe the offline kit (``python -m instructor_tools.kit build|verify|info|prune``).

``build`` skips every part that is already complete and intact, so a second run takes
seconds; ``--force`` rebuilds. The kit's ``manifest.json`` is written last, from the parts'
own records, and is what ``info`` shows.

One build at a time per kit home: ``build`` holds a lock (``.build.lock`` in the kit home), so a
second build waits for the first, then finds its parts done. Holding the lock, it removes what
killed builds left behind (``.tmp-*``, ``.trainer-*``, ``.old-*``); ``verify`` reports such
leftovers. A damaged record or manifest (empty, truncated, ``{}``) is reported by ``verify`` and
repaired by ``build``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from helpers.mode import current_mode
from helpers.offline_kit import PART_DIRS, RECIPE_VERSION, KitDamagedError, kit_home, kit_root, part_dir
from instructor_tools.kit import manifest
from instructor_tools.kit import parts as kit_parts
from instructor_tools.kit.parts import BUILDERS

MANIFEST = "manifest.json"
LOCK = ".build.lock"
STAGING_PREFIXES = (".tmp-", ".trainer-", ".old-")
KIT_NAME = re.compile(r"v(\d+)")
REPAIR = "python -m instructor_tools.kit build"

Builder = Callable[[Path, Callable[[str], None]], dict[str, Any]]


def _log(part: str) -> Any:
    def log(message: str) -> None:
        print(f"[kit] {part}: {message}", flush=True)

    return log


def parts_table(parts: Mapping[str, Builder] | None) -> Mapping[str, Builder]:
    """The parts to build: ``parts`` (tests pass a small fake table) or the real ``BUILDERS``."""
    table = BUILDERS if parts is None else parts
    unknown = [name for name in table if name not in PART_DIRS]
    if unknown:
        raise ValueError(f"kit part(s) {unknown} have no folder in PART_DIRS; known: {', '.join(PART_DIRS)}")
    return table


# ---------------------------------------------------------------------------------------------
# Lock and leftovers


def lock_path() -> Path:
    return kit_home() / LOCK


def _lock_holder(handle: Any) -> str:
    try:
        handle.seek(0)
        pid = handle.read(32).strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


@contextlib.contextmanager
def build_lock(wait: bool = True) -> Iterator[None]:
    """Hold the kit home's build lock; when another build holds it, say so and wait (or raise
    BlockingIOError when ``wait`` is False)."""
    home = kit_home()
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK
    try:
        handle = open(path, "a+")  # noqa: SIM115 (closed by the `with handle:` below)
    except PermissionError:
        raise PermissionError(
            f"cannot build in {home}: it is not writable by you (a shared kit?). "
            "Set QUICKTOUR_KIT_HOME to a folder of your own to build your own kit."
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(handle)
            if holder == "pid unknown":  # it may have taken the lock a moment ago: its pid follows
                time.sleep(0.2)
                holder = _lock_holder(handle)
            if not wait:
                raise BlockingIOError(errno.EAGAIN, f"another build ({holder}) is running on {home}") from None
            print(f"[kit] another build ({holder}) is running on {home}; waiting for it to finish…", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
            print("[kit] the other build finished; checking what is left to do", flush=True)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        with contextlib.suppress(OSError):
            os.chmod(path, manifest.share_modes(home)[0])
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_build() -> str | None:
    """"pid N" of a build holding the kit home's lock now, else None (any user may ask)."""
    try:
        handle = open(lock_path())  # noqa: SIM115 (closed by the `with handle:` below)
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _lock_holder(handle)
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _staging_parents() -> list[Path]:
    root = kit_root()
    return [root] + sorted({(root / rel).parent for rel in PART_DIRS.values()})


def stale_staging() -> list[Path]:
    """What interrupted builds left in this kit: staging, trainer and old-copy folders, temp files.

    Only meaningful while no build holds the lock (a running build's staging is not stale).
    """
    found = []
    for parent in _staging_parents():
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(STAGING_PREFIXES) or (name.startswith(".") and name.endswith(".tmp")):
                found.append(entry)
    return sorted(found)


def folder_size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    total = 0
    for sub in path.rglob("*"):
        with contextlib.suppress(OSError):
            if sub.is_file() and not sub.is_symlink():
                total += sub.stat().st_size
    return total


def human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def remove_stale_staging(log: Callable[[str], None] = print) -> list[Path]:
    """Remove what killed builds left (call with the lock held); returns what was removed.

    An ``.old-<part>-<pid>`` copy (a build killed while swapping a part in) is put back when the
    part itself is missing and the copy is intact; otherwise it is removed.
    """
    removed = []
    for path in stale_staging():
        if path.name.startswith(".old-") and path.is_dir():
            name = path.name[len(".old-"):].rsplit("-", 1)[0]
            final = path.with_name(name)
            if not final.exists() and name and manifest.read_record(path) is not None:
                path.rename(final)
                log(f"[kit] restored {final} from an interrupted build's copy")
                continue
        size = folder_size(path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        log(f"[kit] removed {path} ({human_size(size)}), left by an interrupted build")
        removed.append(path)
    return removed


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while building, so the staging folder is cleaned up (main thread only)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not in_main_thread or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


# ---------------------------------------------------------------------------------------------
# Build


def build(force: Iterable[str] = (), parts: Mapping[str, Builder] | None = None) -> dict[str, Any]:
    """Build every missing or damaged part, then write the manifest; returns the manifest.

    ``force`` names parts to rebuild even when intact ("all" for every part). ``parts`` is the
    table of builders (name -> builder), the real one by default; tests pass small fake parts.
    """
    table = parts_table(parts)
    force = set(force)
    unknown = force - set(table) - {"all"}
    if unknown:
        raise ValueError(f"unknown kit part(s) {sorted(unknown)}; known: {', '.join(table)}")
    current_mode()  # settle HF_HUB_OFFLINE before datasets/transformers are imported
    root = kit_root()
    with build_lock(), _terminate_as_exit():
        modes = manifest.share_modes(kit_home())
        for folder in _staging_parents():  # where parts are built and swapped in: never through a link
            if folder.is_symlink():
                raise ValueError(f"{folder} is a symbolic link; the kit never builds through one (its target "
                                 "may lie outside the kit home): remove the link, then build again")
        root.mkdir(parents=True, exist_ok=True)
        for folder in _staging_parents():
            folder.mkdir(parents=True, exist_ok=True)
            manifest.set_mode(folder, modes[1])
        print(f"[kit] building the offline kit (recipe v{RECIPE_VERSION}) in {root}", flush=True)
        remove_stale_staging()
        numbers = {part: f"{number}/{len(table)} {part}" for number, part in enumerate(table, start=1)}
        beside: dict[str, Beside] = {}
        try:
            for part, builder in table.items():
                final = part_dir(part)
                log = _log(numbers[part])
                problems = manifest.check(final)
                if part not in force and "all" not in force and not problems:
                    manifest.apply_modes(final, modes)  # also repairs a kit written before modes were set
                    log("up to date")
                    continue
                if problems and final.exists() and part not in force and "all" not in force:
                    log(f"repairing: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
                if part in beside:
                    staging, facts = beside.pop(part).finish()
                    _commit(part, final, staging, facts, modes)
                    log(f"done in {facts['build_seconds']:.1f} s (beside {facts['beside']})")
                    continue
                started = [other for other, first in BESIDE.items()
                           if first == part and _real_builder(table, other) and (os.cpu_count() or 1) >= 2
                           and (other in force or "all" in force or manifest.check(part_dir(other)))]
                for other in started:
                    beside[other] = Beside(other, numbers[other], table[other])
                log("building")
                start = time.monotonic()
                staging = manifest.staging_dir(final)
                try:
                    with _threads_left(len(started)):
                        facts = builder(staging, log)
                    facts["build_seconds"] = round(time.monotonic() - start, 1)
                    _commit(part, final, staging, facts, modes)
                finally:
                    _remove_staging(staging)
                log(f"done in {time.monotonic() - start:.1f} s")
        finally:
            for left in beside.values():
                left.stop()
        return write_manifest(table)


#: Parts built in a child process beside the part named here, on a machine with 2 cores or more: the language model
#: (one thread, as always) trains beside the classifier, which gets the other cores meanwhile. On 2 cores: 296 s
#: for both, against 384 s one after the other (2026-12-08).
BESIDE = {"causal-lm": "sentiment"}


def _real_builder(table: Mapping[str, Builder], part: str) -> bool:
    """Whether ``table`` builds ``part`` with the kit's own builder (tests pass fake ones, which stay in-process)."""
    return part in table and table[part] is kit_parts.BUILDERS.get(part)


def _remove_staging(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(staging.parent / f".trainer-{staging.name}", ignore_errors=True)


def _commit(part: str, final: Path, staging: Path, facts: dict[str, Any], modes: tuple[int, int]) -> None:
    """Move a built part into place with its record (and drop Datasets' stale copy of a rebuilt data set)."""
    manifest.commit(staging, final, facts, modes)
    if PART_DIRS[part].startswith("datasets/"):
        forget_datasets_cache(final.name)


@contextlib.contextmanager
def _threads_left(children: int) -> Iterator[None]:
    """While ``children`` one-thread builds run beside this one, give this process the other cores' threads."""
    if not children:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, (os.cpu_count() or 1) - children))
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _build_in_child(builder: Builder, label: str, staging: str, facts_file: str) -> None:
    """A child process's work (``Beside``): run ``builder`` into ``staging``, write its facts to ``facts_file``."""
    current_mode()
    facts = builder(Path(staging), _log(label))
    Path(facts_file).write_text(json.dumps(facts))


class Beside:
    """One part built in a child process (``multiprocessing``, spawned) while this process builds another."""

    def __init__(self, part: str, label: str, builder: Builder) -> None:
        """Start building ``part`` with ``builder`` (a module-level function: the child imports it by name)."""
        import multiprocessing

        self.part, self.label = part, label
        self.staging = manifest.staging_dir(part_dir(part))
        self.facts_file = self.staging.parent / f".tmp-facts-{self.staging.name}.json"
        self.start = time.monotonic()
        _log(label)("building in a child process, beside the next part")
        self.process = multiprocessing.get_context("spawn").Process(
            target=_build_in_child, args=(builder, label, str(self.staging), str(self.facts_file)), daemon=True)
        self.process.start()

    def finish(self) -> tuple[Path, dict[str, Any]]:
        """Wait for the child; its staging folder and facts. Raises RuntimeError when the child failed."""
        self.process.join()
        if self.process.exitcode != 0 or not self.facts_file.is_file():
            self.stop()
            raise RuntimeError(f"building kit part {self.part!r} in a child process failed (exit code "
                               f"{self.process.exitcode}); its error is printed above. Run `python -m "
                               f"instructor_tools.kit build` again, or with --force {self.part}")
        facts = json.loads(self.facts_file.read_text())
        self.facts_file.unlink()
        facts["build_seconds"] = round(time.monotonic() - self.start, 1)
        facts["beside"] = BESIDE.get(self.part, "")
        return self.staging, facts

    def stop(self) -> None:
        """Stop the child if it still runs, and remove what it wrote."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)
        _remove_staging(self.staging)
        self.facts_file.unlink(missing_ok=True)


def forget_datasets_cache(folder_name: str) -> None:
    """Drop 🤗 Datasets' cached copy of a rebuilt kit data set.

    ``load_dataset(path)`` caches under a key it derives from the folder, and may keep serving
    the old rows after the folder is rebuilt in place.
    """
    import datasets

    for cached in Path(datasets.config.HF_DATASETS_CACHE).glob(f"{folder_name}*"):
        if cached.is_dir():
            shutil.rmtree(cached, ignore_errors=True)
        else:
            cached.unlink(missing_ok=True)


def write_manifest(parts: Iterable[str] | None = None) -> dict[str, Any]:
    """Gather the parts' records into ``manifest.json`` at the kit root (the real parts by default)."""
    root = kit_root()
    names = list(PART_DIRS if parts is None else parts)
    found = {}
    for part in names:
        record = manifest.read_record(part_dir(part))
        if record is None:
            raise RuntimeError(f"kit part {part!r} is missing after the build")
        size = sum(meta["size"] for meta in record["files"].values())
        found[part] = {"path": PART_DIRS[part], "bytes": size, "facts": record["facts"]}
    data = {
        "recipe_version": RECIPE_VERSION,
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parts": found,
    }
    manifest.write_json_atomic(root / MANIFEST, data, mode=manifest.share_modes(kit_home())[0])
    return data


# ---------------------------------------------------------------------------------------------
# Manifest, verify, info


def manifest_shape_problem(data: Any) -> str | None:
    """Why ``data`` is not a usable kit manifest, or None."""
    if not isinstance(data, dict):
        return f"holds {type(data).__name__}, not a JSON object"
    missing = [key for key in ("recipe_version", "written", "parts") if key not in data]
    if missing:
        return "no " + ", no ".join(repr(k) for k in missing) + " key"
    if not isinstance(data["recipe_version"], str) or not isinstance(data["written"], str):
        return "'recipe_version' or 'written' is not a string"
    if not isinstance(data["parts"], dict) or not data["parts"]:
        return "'parts' is empty or not a JSON object"
    for part, meta in data["parts"].items():
        if not isinstance(meta, dict):
            return f"part {part!r} is not a JSON object"
        if not isinstance(meta.get("path"), str) or not isinstance(meta.get("facts"), dict):
            return f"part {part!r} has no valid 'path' or 'facts'"
        size = meta.get("bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return f"part {part!r} has no valid 'bytes'"
    return None


def read_manifest() -> dict[str, Any]:
    """The kit's manifest. FileNotFoundError when the kit is not built, KitDamagedError when the
    manifest is damaged (both say what to run)."""
    path = kit_root() / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"the offline kit is not built at {kit_root()}: run `make kit`") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise KitDamagedError(f"{path} is damaged (not a text file): repair it with: {REPAIR}") from None
    try:
        data = manifest.parse_json(text)
    except ValueError as exc:
        raise KitDamagedError(f"{path} is {exc}: repair it with: {REPAIR}") from None
    problem = manifest_shape_problem(data)
    if problem:
        raise KitDamagedError(f"{path} is damaged ({problem}): repair it with: {REPAIR}")
    if data["recipe_version"] != RECIPE_VERSION:
        raise KitDamagedError(
            f"{path} says recipe v{data['recipe_version']}, this checkout builds v{RECIPE_VERSION}: "
            f"repair it with: {REPAIR}"
        )
    return data


def verify(deep: bool = True, parts: Iterable[str] | None = None) -> list[str]:
    """Every problem found in the kit (empty when intact), each saying what to run.

    Checks each part's files against its record (sizes; SHA-256 too when ``deep``), their read
    permissions, the manifest, and leftovers of interrupted builds.
    """
    names = list(PART_DIRS if parts is None else parts)
    problems = []
    running = running_build()
    if running:
        problems.append(f"a build ({running}) is running on {kit_home()} now -> run verify again when it has finished")
    modes = manifest.share_modes(kit_home())
    records = {}
    for part in names:
        folder = part_dir(part)
        part_problems = manifest.check(folder, deep=deep)
        for problem in part_problems:
            problems.append(f"{problem} -> rebuild with: {REPAIR} --force {part}")
        record = manifest.read_record(folder)
        if record is not None:
            records[part] = record
            for problem in manifest.mode_problems(folder, record, modes):
                problems.append(f"{problem} -> fix with: {REPAIR} (run by the kit's owner)")
    if not running:
        for path in stale_staging():
            problems.append(
                f"{path}: left by an interrupted build ({human_size(folder_size(path))}) -> remove it with: {REPAIR}"
            )
    problems += _manifest_problems(names, records, all_parts_built=len(records) == len(names))
    return problems


def _manifest_problems(names: list[str], records: dict[str, dict[str, Any]], all_parts_built: bool) -> list[str]:
    """A damaged manifest, always; a missing or outdated one only once every part is built."""
    path = kit_root() / MANIFEST
    try:
        data = read_manifest()
    except FileNotFoundError:
        return [f"{path}: missing -> run: {REPAIR}"] if all_parts_built else []
    except KitDamagedError as exc:
        return [str(exc).replace(": repair it with: ", " -> run: ")]
    except PermissionError:
        return [f"{path}: not readable by you (permission denied)"]
    if not all_parts_built:
        return []
    stale = [
        n for n in names
        if n not in data["parts"] or (n in records and data["parts"][n]["facts"] != records[n]["facts"])
    ]
    if stale:
        return [f"{path}: out of date for {', '.join(stale)} (an interrupted build?) -> run: {REPAIR}"]
    return []


def info() -> dict[str, Any]:
    """The kit's manifest; FileNotFoundError / KitDamagedError with what to do."""
    return read_manifest()


def format_info(data: dict[str, Any]) -> str:
    """A short human summary of the manifest."""
    total = sum(meta["bytes"] for meta in data["parts"].values())
    lines = [f"offline kit v{data['recipe_version']} at {kit_root()} (written {data['written']}; {total / 1e6:.0f} MB)"]
    order = [part for part in PART_DIRS if part in data["parts"]]
    for part in order + sorted(set(data["parts"]) - set(order)):
        meta = data["parts"][part]
        facts = meta["facts"]
        extra = ""
        try:
            if "test_accuracy" in facts:
                extra = (
                    f"  held-out test accuracy {facts['test_accuracy']:.4f}"
                    f" (validation {facts['validation_accuracy']:.4f}; trained {facts['train_seconds']} s)"
                )
            elif "splits" in facts:
                extra = "  " + ", ".join(f"{k} {v}" for k, v in facts["splits"].items())
            elif "validation_perplexity" in facts:
                extra = (
                    f"  {facts['parameters'] / 1e6:.1f}M parameters, held-out perplexity "
                    f"{facts['validation_perplexity']:.1f} (unigram {facts['unigram_perplexity']:.1f}; "
                    f"trained {facts['train_seconds']} s)"
                )
            elif "audio_seconds" in facts:
                extra = f"  {facts['utterances']} utterances, {facts['audio_seconds']} s at {facts['sampling_rate']} Hz"
            elif "parameters" in facts:
                extra = f"  {facts['parameters'] / 1e6:.1f}M parameters"
        except (KeyError, TypeError, ValueError, AttributeError):
            extra = "  (facts incomplete: run verify)"
        lines.append(f"  {part:16} {meta['bytes'] / 1e6:8.1f} MB  {meta['path']}{extra}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Older versions


def _holds_kit_record(folder: Path) -> bool:
    """Whether ``folder`` (named v<N>) holds this project's kit: a manifest with a matching
    ``recipe_version``, or part records in the kit's layout (models|datasets|metrics/<name>/component.json)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(data, dict) and str(data.get("recipe_version")) == folder.name[1:]:
            return True
    except (OSError, ValueError):
        pass
    for kind in ("models", "datasets", "metrics"):
        for record in folder.glob(f"{kind}/*/{manifest.RECORD}"):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and "files" in data and "facts" in data:
                return True
    return False


def older_versions() -> list[Path]:
    """Kits of OLDER recipe versions in the kit home: folders named v<N>, N below the current
    version, holding this project's kit records. Anything else there is never listed."""
    home = kit_home()
    current = int(RECIPE_VERSION)
    try:
        entries = list(home.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        match = KIT_NAME.fullmatch(entry.name)
        if not match or int(match.group(1)) >= current or entry.is_symlink() or not entry.is_dir():
            continue
        if _holds_kit_record(entry):
            found.append(entry)
    return sorted(found, key=lambda p: int(p.name[1:]))


def prune(yes: bool = False, confirm: Callable[[list[Path]], bool] | None = None) -> list[Path]:
    """Delete the kits of older recipe versions; returns what was removed.

    Deletes only with ``yes=True`` or when ``confirm(folders)`` returns True; refuses while a
    build holds the kit home's lock.
    """
    candidates = older_versions()
    if not candidates or not (yes or (confirm is not None and confirm(candidates))):
        return []
    with build_lock(wait=False):
        removed = []
        for folder in older_versions():
            if folder in candidates:
                shutil.rmtree(folder)
                removed.append(folder)
    return removed
