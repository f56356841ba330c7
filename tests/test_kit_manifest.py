import pytest

from instructor_tools.kit import build as kit_build
from instructor_tools.kit import cli as kit_cli
from instructor_tools.kit import manifest
from helpers.offline_kit import part_dir, kit_root


def make_part(folder_name="part", content=b"weights"):
    final = kit_root() / folder_name
    staging = manifest.staging_dir(final)
    (staging / "model.bin").write_bytes(content)
    (staging / "sub").mkdir()
    (staging / "sub" / "vocab.txt").write_text("a\nb\n")
    manifest.commit(staging, final, {"answer": 42})
    return final


def test_commit_then_check_is_clean(empty_kit):
    final = make_part()
    assert manifest.check(final) == []
    assert manifest.read_record(final)["facts"] == {"answer": 42}
    assert not list(final.parent.glob(".tmp-*")), "staging folder left behind"


def test_check_catches_a_corrupted_file(empty_kit):
    final = make_part()
    (final / "model.bin").write_bytes(b"weighTs")  # same size, other bytes
    problems = manifest.check(final)
    assert len(problems) == 1 and "SHA-256" in problems[0]
    assert manifest.check(final, deep=False) == []  # the quick check only sees sizes


def test_check_catches_a_missing_and_a_truncated_file(empty_kit):
    final = make_part()
    (final / "sub" / "vocab.txt").unlink()
    (final / "model.bin").write_bytes(b"w")
    problems = " | ".join(manifest.check(final))
    assert "vocab.txt: missing" in problems and "size 1 bytes" in problems


def test_unfinished_part_is_not_built(empty_kit):
    assert "not built" in manifest.check(kit_root() / "nothing")[0]


def test_recommit_replaces_the_old_copy(empty_kit):
    make_part(content=b"old")
    final = make_part(content=b"newer")
    assert (final / "model.bin").read_bytes() == b"newer"
    assert manifest.check(final) == []
    assert not list(final.parent.glob(".old-*"))


def test_interrupted_build_leaves_nothing_that_looks_complete(empty_kit, monkeypatch):
    def crash(out, log):
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(kit_build, "BUILDERS", {"encoder": crash})
    with pytest.raises(KeyboardInterrupt):
        kit_build.build()
    assert manifest.read_record(part_dir("encoder")) is None
    assert not part_dir("encoder").exists()
    assert not list(part_dir("encoder").parent.glob(".tmp-*"))
    assert not (kit_root() / kit_build.MANIFEST).exists()


def test_second_build_skips_intact_parts(empty_kit, monkeypatch, capsys):
    calls = []

    def builder(out, log):
        calls.append(out)
        (out / "f.txt").write_text("x")
        return {}

    parts = {name: builder for name in kit_build.PART_DIRS}
    monkeypatch.setattr(kit_build, "BUILDERS", parts)
    kit_build.build()
    assert len(calls) == len(parts)
    kit_build.build()
    assert len(calls) == len(parts), "an intact part was rebuilt"
    assert capsys.readouterr().out.count("up to date") == len(parts)
    (part_dir("encoder") / "f.txt").write_text("y")  # damage one part
    assert any("--force encoder" in p for p in kit_build.verify())
    kit_build.build()
    assert len(calls) == len(parts) + 1
    assert kit_build.verify() == []


def test_force_rejects_unknown_parts(empty_kit):
    with pytest.raises(ValueError, match="known"):
        kit_build.build(force=["everything"])


def test_verify_and_info_on_a_missing_kit(empty_kit):
    assert kit_build.verify() and all("not built" in p for p in kit_build.verify())
    with pytest.raises(FileNotFoundError, match="make kit"):
        kit_build.info()
    assert kit_cli.main(["verify"]) == 1


def test_rebuilt_dataset_is_not_served_from_a_stale_cache(empty_kit, monkeypatch):
    from datasets import Dataset, load_dataset

    rows = {"text": ["first build"]}

    def builder(out, log):
        (out / "data").mkdir()
        Dataset.from_dict(rows).to_parquet(str(out / "data" / "train-00000-of-00001.parquet"))
        return {}

    monkeypatch.setattr(kit_build, "BUILDERS", {"rotten_tomatoes": builder})
    monkeypatch.setattr(kit_build, "write_manifest", dict)
    kit_build.build()
    path = str(part_dir("rotten_tomatoes"))
    assert load_dataset(path, split="train")["text"] == ["first build"]
    rows["text"] = ["second build"]
    kit_build.build(force=["rotten_tomatoes"])
    assert load_dataset(path, split="train")["text"] == ["second build"]


def test_prune_removes_only_older_kits(empty_kit):
    import json

    kit_root().mkdir(parents=True)
    old = kit_root().parent / "v0"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"recipe_version": "0", "parts": {}}))
    foreign = kit_root().parent / "v1"  # named like a kit, but holds no kit record
    foreign.mkdir()
    (foreign / "f").write_text("mine")
    assert kit_build.older_versions() == [old]
    assert kit_build.prune() == [], "prune deleted without --yes or a confirmation"
    assert old.is_dir()
    assert kit_build.prune(yes=True) == [old]
    assert kit_root().is_dir() and not old.exists() and (foreign / "f").read_text() == "mine"
