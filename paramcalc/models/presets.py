"""Famous architectures shipped as model files: list them, load them, export them to edit.

The files live in ``paramcalc/models/data/``. The GPT-2 and GPT-3 families share one layout and are
written from the tables below by :func:`gpt_text` (``python -m paramcalc.models.presets`` rewrites them;
a test checks that the shipped files equal what the tables give).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from paramcalc.errors import ModelError
from paramcalc.models.format import Model, load_model, read_model_data

PRESET_DIR = Path(__file__).parent / "data"

#: The order listings show the presets in.
ORDER = (
    "lenet5", "lenet5-1998", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50", "googlenet", "densenet121",
    "mobilenet-v3-large", "vit-b16", "transformer-base",
    "bert-base", "bert-large", "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "llama2-7b",
    "gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b", "gpt3-175b",
)
ALIASES = {"gpt2-small": "gpt2", "vit-b-16": "vit-b16", "vit": "vit-b16", "llama-2-7b": "llama2-7b",
           "transformer": "transformer-base", "lenet": "lenet5",
           "densenet-121": "densenet121", "mobilenetv3": "mobilenet-v3-large", "inception-v1": "googlenet",
           "lenet5-paper": "lenet5-1998"}


@dataclass(frozen=True)
class PresetInfo:
    """What ``paramcalc presets`` lists: the file's name, title and reference count."""

    name: str
    title: str
    params: int | None
    source: str | None
    description: str | None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", name.lower())


def names() -> list[str]:
    """Every preset name, in listing order (files not in the order list come last)."""
    found = sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
    return [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]


def preset_path(name: str) -> Path:
    """The file of a preset, by name (case, ``-``, ``_`` and ``/`` do not matter: ``ViT-B/16``).

    Raises:
        ModelError: no such preset (the message suggests close names).
    """
    known = names()
    by_key = {_key(n): n for n in known}
    by_key.update({_key(a): t for a, t in ALIASES.items() if t in known})
    found = by_key.get(_key(name))
    if found is None:
        close = [n for n in known if _key(n).startswith(_key(name))][:4] if _key(name) else []
        close = close or difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.75)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ModelError(f"unknown preset {name!r}.{hint} Run `paramcalc presets` to list them.")
    return PRESET_DIR / f"{found}.yaml"


def preset_text(name: str) -> str:
    """The preset's YAML text, comments included (what ``--export`` writes)."""
    return preset_path(name).read_text(encoding="utf-8")


def load_preset(name: str) -> Model:
    """The preset as a validated :class:`~paramcalc.models.format.Model`."""
    return load_model(preset_path(name))


def list_presets() -> list[PresetInfo]:
    """Name, title, reference count and source of every preset (read from the files' headers)."""
    out = []
    for name in names():
        data = read_model_data(PRESET_DIR / f"{name}.yaml")
        ref = data.get("reference") or {}
        out.append(PresetInfo(name, data.get("name") or name, ref.get("params"), ref.get("source"),
                              data.get("description")))
    return out


def export_preset(name: str, destination: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Copy a preset's file to ``destination`` (a file, or a directory; default: ``./NAME.yaml``).

    Raises:
        ModelError: the destination exists (and ``overwrite`` is false) or cannot be written.
    """
    source = preset_path(name)
    target = Path(destination) if destination is not None else Path.cwd() / source.name
    if target.is_dir():
        target = target / source.name
    if target.exists() and not overwrite:
        raise ModelError(f"{target} exists; choose another path or remove it first")
    try:
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


# -- The GPT families ------------------------------------------------------------------------


class GPTSize(NamedTuple):
    """One row of a GPT family table: the published hyper-parameters and count."""

    preset: str
    title: str
    n_layers: int
    d_model: int
    n_heads: int
    n_ctx: int
    params: int | None
    published: str
    note: str = ""


#: GPT-2 (Radford et al. 2019, Table 2 sizes; exact counts of the released checkpoints, tied head).
GPT2_FAMILY = (
    GPTSize("gpt2", "GPT-2 small", 12, 768, 12, 1024, 124_439_808, "117M"),
    GPTSize("gpt2-medium", "GPT-2 medium", 24, 1024, 16, 1024, 354_823_168, "345M"),
    GPTSize("gpt2-large", "GPT-2 large", 36, 1280, 20, 1024, 774_030_080, "762M"),
    GPTSize("gpt2-xl", "GPT-2 XL", 48, 1600, 25, 1024, 1_557_611_200, "1542M"),
)

#: GPT-3 (Brown et al. 2020, Table 2.1): n_layers, d_model, n_heads, context 2048, GPT-2's vocabulary.
GPT3_FAMILY = (
    GPTSize("gpt3-small", "GPT-3 Small", 12, 768, 12, 2048, None, "125M"),
    GPTSize("gpt3-medium", "GPT-3 Medium", 24, 1024, 16, 2048, None, "350M"),
    GPTSize("gpt3-large", "GPT-3 Large", 24, 1536, 16, 2048, None, "760M"),
    GPTSize("gpt3-xl", "GPT-3 XL", 24, 2048, 16, 2048, None, "1.3B",
            "Table 2.1 prints 24 heads of 128 for d_model 2048, which do not multiply out; this file "
            "uses 16 heads of 128. The head count does not change the parameter count."),
    GPTSize("gpt3-2.7b", "GPT-3 2.7B", 32, 2560, 32, 2048, None, "2.7B"),
    GPTSize("gpt3-6.7b", "GPT-3 6.7B", 32, 4096, 32, 2048, None, "6.7B"),
    GPTSize("gpt3-13b", "GPT-3 13B", 40, 5140, 20, 2048, None, "13.0B",
            "Table 2.1 prints d_model 5140 with 40 heads of 128 (5120); this file keeps the printed "
            "d_model, split into 20 heads of 257. The head count does not change the parameter count; "
            "with d_model 5120 the total would be 12,853,386,240."),
    GPTSize("gpt3-175b", "GPT-3 175B", 96, 12288, 96, 2048, None, "175.0B"),
)

_GPT2_SOURCE = "Radford et al., \"Language Models are Unsupervised Multitask Learners\", 2019, Table 2; Hugging Face GPT2LMHeadModel"
_GPT3_SOURCE = "Brown et al., \"Language Models are Few-Shot Learners\", NeurIPS 2020, Table 2.1 and section 2.1"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def gpt_text(size: GPTSize) -> str:
    """The model file of a GPT-2 or GPT-3 size: learned token and position embeddings summed, pre-LN
    blocks (fused causal attention, GELU MLP of 4·d_model), a final LayerNorm, and an output layer
    tied to the token embedding."""
    d, ff, vocab = size.d_model, 4 * size.d_model, 50257
    gpt3 = size.preset.startswith("gpt3")
    if gpt3:
        header = (f"# {size.title} (Brown et al. 2020, Table 2.1), generated by paramcalc.models.presets.gpt_text.\n")
        description = (
            f"{size.title}: {size.n_layers} layers, d_model {d}, {size.n_heads} heads, context {size.n_ctx}, "
            f"GPT-2's architecture and 50,257-token vocabulary (section 2.1); the paper's alternating sparse "
            f"attention has no parameters. Table 2.1 gives {size.published} parameters."
        )
        if size.note:
            description += " " + size.note
        value = float(size.published[:-1]) * (10**9 if size.published.endswith("B") else 10**6)
        reference = (
            f"reference:\n  params: {round(value)}\n  approximate: true\n"
            f"  source: {_quoted(f'Brown et al. 2020, Table 2.1: {size.published}, rounded')}\n"
        )
        source = _GPT3_SOURCE
    else:
        header = f"# {size.title} as Hugging Face's GPT2LMHeadModel builds it, generated by paramcalc.models.presets.gpt_text.\n"
        description = (
            f"{size.title}: {size.n_layers} pre-LN decoder blocks of width {d} with {size.n_heads} heads, "
            f"learned positions for {size.n_ctx} tokens, and an output layer tied to the token embedding "
            f"(counted once). The paper's Table 2 says {size.published}."
        )
        reference = (
            f"reference:\n  params: {size.params}\n  source: {_quoted(f'Hugging Face {size.preset} checkpoint (GPT2LMHeadModel, tied lm_head); the paper says {size.published}')}\n"
        )
        source = _GPT2_SOURCE
    if gpt3:
        drop = ""
        mlp = (
            "          - name: mlp\n"
            + "            layers:\n"
            + f"              - {{name: c_fc, layer: \"Linear({d}, {ff})\"}}\n"
            + "              - {name: act, layer: \"GELU(approximate='tanh')\"}\n"
            + f"              - {{name: c_proj, layer: \"Linear({ff}, {d})\"}}\n"
        )
    else:
        # Hugging Face's GPT2MLP (c_fc, NewGELUActivation, c_proj, dropout); attention and residual dropout 0.1
        drop = ", dropout=0.1"
        mlp = f"          - {{name: mlp, layer: \"FeedForward({d}, {ff}, activation='gelu_new', dropout=0.1)\"}}\n"
    return (
        header
        + f"name: {size.title}\n"
        + f"description: {_quoted(description)}\n"
        + f"source: {_quoted(source)}\n"
        + reference
        + "framework: pytorch\n"
        + f"input_shape: [1, {size.n_ctx}]\n"
        + "layers:\n"
        + "  - name: embeddings\n"
        + "    parallel:\n"
        + f"      - {{name: wte, layer: \"Embedding({vocab}, {d})\"}}\n"
        + f"      - {{name: wpe, layer: \"Embedding({size.n_ctx}, {d})\", positions: true}}   # positions 0..T-1\n"
        + "  - {name: drop, layer: \"Dropout(0.1)\"}\n"
        + "  - name: h\n"
        + f"    repeat: {size.n_layers}\n"
        + "    layers:\n"
        + "      - name: attention\n"
        + "        layers:\n"
        + f"          - {{name: ln_1, layer: \"LayerNorm({d})\"}}\n"
        + f"          - {{name: attn, layer: \"CausalSelfAttention({d}, {size.n_heads}{drop})\"}}\n"
        + "        shortcut: identity\n"
        + "      - name: ffn\n"
        + "        layers:\n"
        + f"          - {{name: ln_2, layer: \"LayerNorm({d})\"}}\n"
        + mlp
        + "        shortcut: identity\n"
        + f"  - {{name: ln_f, layer: \"LayerNorm({d})\"}}\n"
        + f"  - {{name: lm_head, layer: \"Linear({d}, {vocab}, bias=False)\", tie: embeddings.wte}}\n"
    )


def write_gpt_presets(directory: Path = PRESET_DIR) -> list[Path]:
    """Write the GPT-2 and GPT-3 files from the tables (what ``python -m paramcalc.models.presets`` does)."""
    written = []
    for size in GPT2_FAMILY + GPT3_FAMILY:
        path = directory / f"{size.preset}.yaml"
        path.write_text(gpt_text(size), encoding="utf-8")
        written.append(path)
    return written


def load_model_or_preset(model: Any) -> Any:
    """A :class:`~paramcalc.models.format.Model` from a model, a dict, a file path, or a preset name.

    A string names a file when that file exists or it ends in .yaml, .yml or .json; otherwise a preset.
    """
    if isinstance(model, str) and not model.lower().endswith((".yaml", ".yml", ".json")):
        try:
            is_file = Path(model).exists()
        except (OSError, ValueError):  # a name too long for a path, or with a NUL
            is_file = False
        if not is_file:
            return load_preset(model)
    return load_model(model)


if __name__ == "__main__":  # pragma: no cover
    for p in write_gpt_presets():
        print(p)
