"""Small models built in-process (no downloads): real code paths, meaningless scores.

``build_tiny_bart_nli`` makes a BART sequence classifier with NLI labels and a byte-level BPE
tokenizer without merges (each byte is a token), saved as a Hugging Face model directory.
``build_bart_nli(layers=...)`` uses bart-large-mnli's shape with random weights, for benchmarks.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from tokenizers.pre_tokenizers import ByteLevel
from transformers import BartConfig, BartForSequenceClassification, BartTokenizer

NLI_LABELS = {0: "contradiction", 1: "neutral", 2: "entailment"}


def _byte_level_tokenizer(directory: Path, model_max_length: int) -> BartTokenizer:
    vocab = {token: index for index, token in enumerate(["<s>", "<pad>", "</s>", "<unk>"])}
    for symbol in sorted(ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    vocab["<mask>"] = len(vocab)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (directory / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return BartTokenizer(
        str(directory / "vocab.json"), str(directory / "merges.txt"), model_max_length=model_max_length
    )


def _trained_bpe_tokenizer(directory: Path, corpus: list[str], vocab_size: int) -> BartTokenizer:
    """A byte-level BPE trained on ``corpus``: realistic token counts without downloading BART's."""
    from tokenizers import ByteLevelBPETokenizer  # noqa: PLC0415

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        corpus,
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    directory.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(directory))
    return BartTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"), model_max_length=1024)


def _save(
    config: BartConfig, directory: Path, model_max_length: int, seed: int, corpus: list[str] | None = None
) -> Path:
    tokenizer = (
        _trained_bpe_tokenizer(directory / "tokenizer-src", corpus, 8000)
        if corpus
        else _byte_level_tokenizer(directory / "tokenizer-src", model_max_length)
    )
    config.vocab_size = len(tokenizer)
    torch.manual_seed(seed)
    model = BartForSequenceClassification(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _nli_config(
    *, d_model: int, layers: int, heads: int, ffn: int, positions: int, init_std: float = 0.02
) -> BartConfig:
    """A BART sequence-classification config with NLI labels and BART's special token ids."""
    return BartConfig(
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=positions,
        id2label=NLI_LABELS,
        label2id={label: index for index, label in NLI_LABELS.items()},
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
        init_std=init_std,
    )


def build_tiny_bart_nli(directory: Path, *, model_max_length: int = 64, seed: int = 0) -> Path:
    """A ~100 KB BART NLI model; ``init_std`` is large so scores differ visibly between labels."""
    config = _nli_config(
        d_model=16, layers=1, heads=2, ffn=32, positions=max(128, model_max_length), init_std=0.5
    )
    return _save(config, directory, model_max_length, seed)


def build_bart_nli(directory: Path, corpus: list[str], *, layers: int = 12, seed: int = 0) -> Path:
    """bart-large-mnli's shape (d_model 1024, 16 heads, FFN 4096) with random weights and ``layers`` layers.

    Its tokenizer is a byte-level BPE trained on ``corpus``, so sequences have realistic lengths.
    """
    config = _nli_config(d_model=1024, layers=layers, heads=16, ffn=4096, positions=1024)
    return _save(config, directory, 1024, seed, corpus)
