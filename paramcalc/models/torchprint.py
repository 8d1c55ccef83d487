"""Summaries from the text PyTorch prints for a model (``print(model)``), without torch.

``print(model)`` shows every submodule by name, nested, with its constructor arguments
(``(0): Linear(in_features=512, out_features=10, bias=True)``), and ``ModuleList`` folds identical
children (``(0-11): 12 x Block(``). That is enough to count every built-in layer exactly. What the
printout does not show is counted as far as it can be and reported, never guessed:

- parameters a module holds itself rather than in a child (ViT's class token, a custom module's
  ``nn.Parameter``): only torch's own MultiheadAttention is known to hold some (``in_proj``);
- weights shared between modules (a tied output layer) are printed twice; a likely tie is noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any

from paramcalc.errors import ModelError, SpecError
from paramcalc.limits import MAX_SIZE
from paramcalc.results import Count
from paramcalc.models.summary import Row, Summary

#: Longest text read, in characters, and most modules.
MAX_TEXT = 4_000_000
MAX_MODULES = 200_000

#: torch.nn modules that hold parameters only in their children (or none at all).
CONTAINERS = frozenset({
    "Sequential", "ModuleList", "ModuleDict", "TransformerEncoder", "TransformerDecoder",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "Transformer",
})
#: torch.nn (and common library) modules without parameters that the specs do not cover.
PARAMETER_FREE = frozenset({
    "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh",
    "Softplus", "Softsign", "Softmin", "LogSoftmax", "LogSigmoid", "Tanhshrink", "Threshold", "GLU",
    "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Unflatten",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ChannelShuffle", "CosineSimilarity", "PairwiseDistance",
    "NewGELUActivation", "GELUActivation", "FastGELUActivation", "QuickGELUActivation", "SiLUActivation",
    "GELUTanh", "PytorchGELUTanh", "ClassInstantier",
})
#: Names printed for a torch layer under another class name.
RENAMED = {"NonDynamicallyQuantizableLinear": "Linear", "LlamaRMSNorm": "RMSNorm", "MistralRMSNorm": "RMSNorm"}

_CHILD = re.compile(r"^\((?P<name>[^()]*)\):\s*(?P<rest>.*)$")
_REPEAT = re.compile(r"^(?P<first>\d+)-(?P<last>\d+)$")
_TIMES = re.compile(r"^(?P<n>\d+) x (?P<rest>.*)$")
_CALL = re.compile(r"^(?P<cls>[A-Za-z_][A-Za-z0-9_.]*)\((?P<args>.*)$")
_PARAMETER = re.compile(r"Parameter containing:\s*\[\S+ of size (?P<size>[\dx]+)\]")
#: An argument torch prints without quotes (``padding=same``, ``padding_mode=circular``).
_BARE = re.compile(r"(?<==)\s*(?!(?:True|False|None)\b)([A-Za-z_][A-Za-z0-9_]*)\s*(?=,|$)")


def _number(digits: str, line: int, what: str) -> int:
    """An integer printed in the text, at most MAX_SIZE (no module or tensor is larger)."""
    if len(digits.lstrip("0")) > 19 or int(digits) > MAX_SIZE:
        shown = digits if len(digits) <= 40 else f"<an integer of {len(digits):,} digits>"
        raise ModelError(f"torch print: line {line}: {what} must be at most {MAX_SIZE:,}. Received: {shown}")
    return int(digits)


def _size(match: re.Match[str], line: int) -> int:
    """The number of values of a printed ``Parameter containing: [... of size 4x8]``."""
    return prod(_number(d, line, "a parameter size") for d in match["size"].split("x") if d)


@dataclass
class _Module:
    name: str
    cls: str
    args: str | None  # the argument text of a one-line module, None for a block
    repeat: int = 1
    line: int = 0  # where it is printed
    children: list[_Module] = field(default_factory=list)
    parameters: list[int] = field(default_factory=list)  # printed nn.Parameter sizes (ParameterList)
    extra: list[str] = field(default_factory=list)


def _balance(text: str) -> int:
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth


def parse_torch_print(text: str) -> _Module:
    """Read the module tree of a ``print(model)`` text.

    Raises:
        ModelError: the text is not a module printout (the message gives the line).
    """
    if len(text) > MAX_TEXT:
        raise ModelError(f"torch print: longer than {MAX_TEXT:,} characters")
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise ModelError("torch print: empty; paste what print(model) shows")
    stack: list[_Module] = []
    root: _Module | None = None
    modules = 0
    for number, line in lines:
        if root is not None and not stack:
            raise ModelError(f"torch print: line {number}: text after the model's closing ')': {line[:60]!r}")
        if line == ")":
            if not stack:
                raise ModelError(f"torch print: line {number}: ')' closes nothing")
            stack.pop()
            continue
        name, rest = "", line
        child = _CHILD.match(line)
        if child and stack:
            name, rest = child["name"].strip(), child["rest"].strip()
        elif stack:
            stack[-1].extra.append(line)  # extra_repr text of a module with children
            continue
        repeat = 1
        times = _TIMES.match(rest)
        if times:
            repeat, rest = _number(times["n"], number, "a repeat count"), times["rest"]
        if rest.startswith("Parameter containing"):  # a ParameterList / ParameterDict entry
            if stack:
                stack[-1].parameters.extend(_size(m, number) for m in _PARAMETER.finditer(rest))
            continue
        call = _CALL.match(rest)
        if not call:
            raise ModelError(f"torch print: line {number}: expected a module such as Linear(...), got {line[:60]!r}")
        modules += 1
        if modules > MAX_MODULES:
            raise ModelError(f"torch print: more than {MAX_MODULES:,} modules")
        args = call["args"]
        opens = _balance(rest) > 0
        if opens:
            # One-line parameter lists print their parameters after the '(' on the same line.
            module = _Module(name, call["cls"].rsplit(".", 1)[-1], None, repeat, number)
        else:
            module = _Module(name, call["cls"].rsplit(".", 1)[-1], args[:-1] if args.endswith(")") else args, repeat,
                             number)
        if stack:
            stack[-1].children.append(module)
        elif root is None:
            root = module
        if opens:
            stack.append(module)
            trailing = rest[rest.index("(") + 1:]
            for m in _PARAMETER.finditer(trailing):
                module.parameters.append(_size(m, number))
    if stack:
        raise ModelError(f"torch print: {len(stack)} module(s) not closed; is the text complete?")
    assert root is not None
    return root


@dataclass
class _Walk:
    rows: list[Row] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    custom: dict[str, list[str]] = field(default_factory=dict)
    embeddings: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    linears: list[tuple[str, tuple[int, int], int]] = field(default_factory=list)


def _leaf(module: _Module, path: str, walk: _Walk) -> tuple[Count, dict[str, Any] | None]:
    """Count a one-line module through its spec; (0, None) for a known parameter-free one.

    Raises:
        ModelError: a built-in layer whose printed arguments are not valid (the message names the line).
    """
    from paramcalc.specs.parse import parse_layer
    from paramcalc.specs import TORCH_LAYERS

    cls = RENAMED.get(module.cls, module.cls)
    args = module.args or ""
    if cls == "Conv1D":  # Hugging Face GPT-2: Conv1D(nf=out, nx=in) is a Linear(in, out)
        m = re.fullmatch(r"\s*nf=(\d+),\s*nx=(\d+)\s*", args)
        if m:
            cls, args = "Linear", f"{m[2]}, {m[1]}"
    if cls in PARAMETER_FREE:
        return Count(0), None
    if cls in ("ParameterList", "ParameterDict"):
        return Count(sum(_size(m, module.line) for m in _PARAMETER.finditer(args))), None
    if cls == "PReLU":
        m = re.search(r"num_parameters=(\d+)", args)
        return Count(_number(m[1], module.line, "num_parameters") if m else 1), None
    if cls == "GroupNorm":
        m = re.fullmatch(r"\s*(\d+),\s*(\d+)(.*)", args)
        if m:
            affine = "affine=False" not in m[3]
            return Count(2 * _number(m[2], module.line, "num_channels") if affine else 0), None
    if cls.startswith("InstanceNorm") and cls[-2:] in ("1d", "2d", "3d"):
        m = re.match(r"\s*(\d+)", args)
        if m:
            c = _number(m[1], module.line, "num_features")
            affine = "affine=True" in args
            stats = "track_running_stats=True" in args
            return Count(2 * c if affine else 0, buffers=2 * c + 1 if stats else 0), None
    if cls not in TORCH_LAYERS:
        walk.incomplete.append(f"{path} ({module.cls}): not a layer paramcalc knows; its parameters are not counted")
        return Count(0), None
    try:
        spec = parse_layer(f"nn.{cls}({_BARE.sub(lambda m: repr(m[1]), args)})")
        count = spec.count("pytorch")
    except SpecError as exc:  # torch prints only layers it could build: this text was not printed by torch
        text = str(exc) if str(exc).startswith(cls) else f"{module.cls}: {exc}"
        raise ModelError(f"torch print: line {module.line}: {text}") from None
    data = spec.spec_dict()
    if cls == "Embedding":
        walk.embeddings.append((path, (data["num_embeddings"], data["embedding_dim"])))
    elif cls == "Linear":
        walk.linears.append((path, (data["out_features"], data["in_features"]), data["out_features"] * data["in_features"]))
    return count, data


def _visit(module: _Module, path: str, depth: int, walk: _Walk) -> Count:
    name = module.name
    label = name
    if module.repeat > 1:
        m = _REPEAT.match(name)
        label = name if m else f"{name}×{module.repeat}"
    if module.args is not None and not module.children:
        count, data = _leaf(module, path, walk)
        walk.rows.append(Row(path=path, name=label, type=module.cls, depth=depth, output_shape=None,
                             count=count * module.repeat, repeat=module.repeat, leaf=True, layer=data))
        return count * module.repeat
    index = len(walk.rows)
    walk.rows.append(Row(path=path, name=label, type=module.cls, depth=depth, output_shape=None, count=Count(0),
                         repeat=module.repeat, leaf=False))
    total = Count(0)
    if module.cls == "MultiheadAttention":
        total = total + _mha_own(module, path, depth + 1, walk)
    elif module.parameters:
        own = Count(sum(module.parameters))
        walk.rows.append(Row(path=f"{path}.(parameters)" if path else "(parameters)", name="(parameters)",
                             type="Parameter", depth=depth + 1, output_shape=None, count=own * module.repeat,
                             repeat=module.repeat, leaf=True, note="printed nn.Parameter values"))
        total = total + own
    elif module.cls not in CONTAINERS:
        walk.custom.setdefault(module.cls, []).append(path or "(the model)")
    start = index + 1
    for child in module.children:
        child_path = f"{path}.{child.name}" if path else child.name
        total = total + _visit(child, child_path, depth + 1, walk)
    if module.repeat > 1:
        for j in range(start, len(walk.rows)):
            r = walk.rows[j]
            walk.rows[j] = replace(r, count=r.count * module.repeat, repeat=r.repeat * module.repeat)
        total = total * module.repeat
    walk.rows[index] = replace(walk.rows[index], count=total)
    return total


def _mha_own(module: _Module, path: str, depth: int, walk: _Walk) -> Count:
    """MultiheadAttention prints only out_proj; in_proj_weight (3E × E) and in_proj_bias (3E) are its own."""
    out = next((c for c in module.children if c.name == "out_proj" and c.args is not None), None)
    m = re.search(r"in_features=(\d+)", out.args or "") if out else None
    if m is None or out is None:
        walk.incomplete.append(f"{path} (MultiheadAttention): no out_proj printed; its in_proj is not counted")
        return Count(0)
    e = _number(m[1], out.line, "in_features")
    bias = "bias=False" not in (out.args or "")
    own = Count(3 * e * e + (3 * e if bias else 0))
    walk.notes.append(
        f"{path or 'the model'} (MultiheadAttention): print(model) does not show kdim, vdim and add_bias_kv; its "
        f"in_proj is counted as 3·E·E = 3·{e}·{e} (+ 3·E bias), exact only when kdim = vdim = embed_dim and "
        f"add_bias_kv=False (otherwise torch holds q_proj_weight E×E, k_proj_weight E×kdim and v_proj_weight "
        f"E×vdim, and add_bias_kv adds bias_k and bias_v, 2·E more)"
    )
    walk.rows.append(Row(path=f"{path}.in_proj", name="in_proj", type="Parameter", depth=depth, output_shape=None,
                         count=own, leaf=True,
                         note="in_proj_weight (3E×E) and in_proj_bias, held by MultiheadAttention (kdim = vdim = E)"))
    return own


def summarize_torch_print(text: str) -> Summary:
    """A summary of the model whose ``print(model)`` text is given: every built-in layer counted.

    Raises:
        ModelError: the text is not a module printout.
    """
    root = parse_torch_print(text)
    walk = _Walk()
    if root.args is not None and not root.children:
        total = _visit(root, root.cls, 1, walk)
    else:
        total = Count(0)
        if root.cls == "MultiheadAttention":
            total = total + _mha_own(root, "", 1, walk)
        elif root.parameters:
            own = Count(sum(root.parameters))
            walk.rows.append(Row(path="(parameters)", name="(parameters)", type="Parameter", depth=1,
                                 output_shape=None, count=own, leaf=True, note="printed nn.Parameter values"))
            total = total + own
        elif root.cls not in CONTAINERS:
            walk.custom.setdefault(root.cls, []).append("(the model)")
        for child in root.children:
            total = total + _visit(child, child.name, 1, walk)
    incomplete = list(walk.incomplete)
    if walk.custom:
        names = ", ".join(sorted(walk.custom))
        incomplete.append(
            f"print(model) shows children, not parameters a module holds itself; these modules are not torch.nn "
            f"built-ins and any nn.Parameter of their own is not counted: {names}"
        )
    notes = list(walk.notes)
    for lpath, shape, size in walk.linears:
        for epath, eshape in walk.embeddings:
            if shape == eshape:
                notes.append(
                    f"{lpath} has the weight shape of {epath} {shape}; if they are tied (GPT-2, T5 and others "
                    f"tie them), the printout shows the matrix twice and the true total is {total.total - size:,}"
                )
                break
    return Summary(
        name=root.cls, convention="pytorch", input_shapes={}, output_shape=None, rows=tuple(walk.rows),
        totals=total, notes=tuple(notes), description="counted from the text print(model) shows",
        incomplete=tuple(incomplete),
    )
