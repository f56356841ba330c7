"""The kit on a USB stick: export and import through the same verified archive as the classroom cache."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from instructor_tools.archive import ArchiveError
from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from helpers.offline_kit import PART_DIRS, RECIPE_VERSION, part_dir, kit_root
from instructor_tools.kit.transfer import export_kit, import_kit


def fake_builder(out: Path, log) -> dict:
    (out / "config.json").write_text(json.dumps({"part": out.name}))
    (out / "weights.bin").write_bytes(bytes(range(256)) * 8)
    return {"fake": True}


FAKE = {name: fake_builder for name in PART_DIRS}  # every part, built in milliseconds


@pytest.fixture
def exported(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "instructor"))
    kit_build.build(parts=FAKE)
    (kit_root().parent / ".build.lock").touch()  # left beside the kit: must not travel
    archive = tmp_path / "kit.tar"
    export_kit(archive)
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "learner"))
    return archive


def test_export_then_import_gives_an_intact_kit(exported, capsys):
    assert kit_cli.main(["import", str(exported)]) == 0
    assert "verified and installed the kit" in capsys.readouterr().out
    installed = import_kit(exported)  # a second import replaces the first
    assert installed == kit_root()
    assert kit_build.verify(deep=True) == []
    assert kit_build.info()["parts"].keys() == PART_DIRS.keys()
    assert not list(kit_root().parent.glob(".tmp-*"))


def test_import_replaces_an_existing_kit_only_when_verified(exported, tmp_path):
    import_kit(exported)
    (part_dir("encoder") / "weights.bin").write_bytes(b"damaged")
    data = bytearray(exported.read_bytes())
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(ArchiveError, match="truncated or damaged"):
        import_kit(bad)
    assert (part_dir("encoder") / "weights.bin").read_bytes() == b"damaged"  # untouched by the refusal
    import_kit(exported)
    assert kit_build.verify(deep=True) == []


def test_a_tampered_kit_is_refused_whole(exported, tmp_path):
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(exported) as src, tarfile.open(tampered, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("sentiment/weights.bin"):
                data = data[::-1]  # same size, other bytes
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    with pytest.raises(ArchiveError, match="SHA-256"):
        import_kit(tampered)
    assert not kit_root().exists() and not list(kit_root().parent.glob(".tmp-*"))


def test_a_kit_of_another_recipe_version_is_refused(exported, tmp_path, monkeypatch):
    monkeypatch.setattr("instructor_tools.kit.transfer.RECIPE_VERSION", "999")
    with pytest.raises(ArchiveError, match=f"recipe v{RECIPE_VERSION}.*needs v999"):
        import_kit(exported)
    assert not list(kit_root().parent.glob(".tmp-*"))


def test_a_damaged_kit_is_not_exported(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUICKTOUR_KIT_HOME", str(tmp_path / "kit"))
    kit_build.build(parts=FAKE)
    (part_dir("speech") / "weights.bin").write_bytes(b"x")
    with pytest.raises(ArchiveError, match="not intact"):
        export_kit(tmp_path / "kit.tar")
    assert kit_cli.main(["export", str(tmp_path / "kit.tar")]) == 1
    assert "build --force speech" in capsys.readouterr().err
    assert not (tmp_path / "kit.tar").exists()


def test_the_classroom_cache_and_the_kit_share_one_archive_format(exported):
    from instructor_tools import classroom
    from instructor_tools.kit import transfer

    with tarfile.open(exported) as tar:
        assert tar.getmembers()[0].name == "quicktour-archive.json"
        assert not any(".lock" in m.name for m in tar.getmembers())
    assert classroom.extract_verified is transfer.extract_verified  # one mechanism, two kinds


def test_check_env_reports_the_kit_as_imported_missing_or_damaged(exported, capsys):
    from instructor_tools.envcheck import kit_state

    ok, message = kit_state()
    assert not ok and "missing" in message and "make kit" in message
    import_kit(exported)
    ok, message = kit_state()
    assert ok and "imported, intact" in message
    (part_dir("whisper") / "weights.bin").write_bytes(b"short")
    ok, message = kit_state()
    assert not ok and "damaged" in message and "build --force whisper" in message
