"""Summaries from the text PyTorch prints for a model (``print(model)``), without torch.

``print(model)`` shows every submodule by name, nested, with its constructor arguments
(``(0): Linear(in_features=512, out_features=10, bias=True)``), and ``ModuleList`` folds identical
children (``(0-11): 12 x Block(``). That is enough to count every built-in layer exactly. What the
printout does not show is counted as far as it can be, and the summary says whether its total is
**exact**, a **lower bound** or an **upper bound**, and why:

- parameters a module holds itself rather than in a child are not printed: MultiheadAttention's
  ``in_proj``, and the torchvision and transformers modules of :mod:`paramcalc.readers.torchmodules`
  are counted where the printed children give their size; any other module that is not a torch.nn
  built-in, or a size the text does not give, makes the total a lower bound;
- a module used twice (a tied output layer, T5's shared embedding) is printed under each name, so
  an embedding and a layer of the same weight shape make the total an upper bound; the total with
  them tied is given too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any

from paramcalc.errors import ModelError, SpecError
from paramcalc.limits import MAX_SIZE
from paramcalc.models.summary import Row, Summary
import paramcalc.readers.torchmodules as known
from paramcalc.results import Count

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
    "PixelShuffle", "PixelUnshuffle",
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
    lower: list[str] = field(default_factory=list)  # what makes the total a lower bound
    unsure: list[str] = field(default_factory=list)  # what makes it neither exact nor a bound
    notes: list[str] = field(default_factory=list)
    custom: dict[str, list[str]] = field(default_factory=dict)
    embeddings: list[tuple[str, tuple[int, int], int]] = field(default_factory=list)
    linears: list[tuple[str, tuple[int, int], int]] = field(default_factory=list)


def _leaf(module: _Module, path: str, walk: _Walk, parent: _Module | None) -> tuple[Count, dict[str, Any] | None]:
    """Count a one-line module through its spec; (0, None) for a known parameter-free one.

    Raises:
        ModelError: a built-in layer whose printed arguments are not valid (the message names the line).
    """
    from paramcalc.specs.parse import parse_layer
    from paramcalc.specs import TORCH_LAYERS

    cls = RENAMED.get(module.cls) or known.renamed(module.cls) or module.cls
    args = module.args or ""
    if cls == "Conv1D":  # Hugging Face GPT-2: Conv1D(nf=out, nx=in) is a Linear(in, out)
        m = re.fullmatch(r"\s*nf=(\d+),\s*nx=(\d+)\s*", args)
        if m:
            cls, args = "Linear", f"{m[2]}, {m[1]}"
    if cls in PARAMETER_FREE or known.free_leaf(cls) or (cls in CONTAINERS and not args.strip()):
        return Count(0), None
    if cls in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):  # printed with the mode their constructor fixes
        args = re.sub(r",\s*mode='[a-z-]+'\s*$", "", args)
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
    own = known.own_leaf(module, parent)
    if own is not None:
        count, what, unknown = own
        if unknown:
            walk.lower.append(f"{path} ({module.cls}): {unknown}")
        if what:
            walk.notes.append(f"{path} ({module.cls}) holds {what}, which print(model) does not show: counted")
        return Count(count), None
    if cls not in TORCH_LAYERS:
        walk.lower.append(f"{path} ({module.cls}): not a module paramcalc knows; print(model) shows no parameters "
                          "for it")
        return Count(0), None
    try:
        spec = parse_layer(f"nn.{cls}({_BARE.sub(lambda m: repr(m[1]), args)})")
        count = spec.count("pytorch")
    except SpecError as exc:  # torch prints only layers it could build: this text was not printed by torch
        text = str(exc) if str(exc).startswith(cls) else f"{module.cls}: {exc}"
        raise ModelError(f"torch print: line {module.line}: {text}") from None
    data = spec.spec_dict()
    if cls == "Embedding":
        walk.embeddings.append((path, (data["num_embeddings"], data["embedding_dim"]), module.repeat))
    elif cls == "Linear":
        walk.linears.append((path, (data["out_features"], data["in_features"]), module.repeat))
    return count, data


def _own_row(walk: _Walk, path: str, depth: int, count: int, repeat: int, note: str) -> Count:
    walk.rows.append(Row(path=f"{path}.(parameters)" if path else "(parameters)", name="(parameters)",
                         type="Parameter", depth=depth, output_shape=None, count=Count(count) * repeat,
                         repeat=repeat, leaf=True, note=note))
    return Count(count)


def _own(module: _Module, path: str, depth: int, walk: _Walk, parent: _Module | None) -> Count:
    """The parameters a module with children holds itself (as far as the printout tells)."""
    where = path or "the model"
    if module.cls == "MultiheadAttention":
        return _mha_own(module, path, depth, walk, parent)
    if module.parameters:
        return _own_row(walk, path, depth, sum(module.parameters), module.repeat, "printed nn.Parameter values")
    if module.cls in CONTAINERS or known.holds_nothing(module.cls, parent.cls if parent else None):
        return Count(0)
    own = known.own_parameters(module, parent)
    if own is None:
        walk.custom.setdefault(module.cls, []).append(where)
        return Count(0)
    count, what, unknown = own
    if unknown:
        walk.lower.append(f"{where} ({module.cls}): {unknown}")
    if not count:
        return Count(0)
    return _own_row(walk, path, depth, count, module.repeat, f"{what}, held by {module.cls} (not printed)")


def _visit(module: _Module, path: str, depth: int, walk: _Walk, parent: _Module | None) -> Count:
    name = module.name
    label = name
    if module.repeat > 1:
        m = _REPEAT.match(name)
        label = name if m else f"{name}×{module.repeat}"
    if module.args is not None and not module.children:
        count, data = _leaf(module, path, walk, parent)
        walk.rows.append(Row(path=path, name=label, type=module.cls, depth=depth, output_shape=None,
                             count=count * module.repeat, repeat=module.repeat, leaf=True, layer=data))
        return count * module.repeat
    index = len(walk.rows)
    walk.rows.append(Row(path=path, name=label, type=module.cls, depth=depth, output_shape=None, count=Count(0),
                         repeat=module.repeat, leaf=False))
    start = index + 1
    total = _own(module, path, depth + 1, walk, parent)
    for child in module.children:
        child_path = f"{path}.{child.name}" if path else child.name
        total = total + _visit(child, child_path, depth + 1, walk, module)
    if module.repeat > 1:
        for j in range(start, len(walk.rows)):
            r = walk.rows[j]
            walk.rows[j] = replace(r, count=r.count * module.repeat, repeat=r.repeat * module.repeat)
        total = total * module.repeat
    walk.rows[index] = replace(walk.rows[index], count=total)
    return total


def _mha_own(module: _Module, path: str, depth: int, walk: _Walk, parent: _Module | None) -> Count:
    """MultiheadAttention prints only out_proj; in_proj_weight (3E × E) and in_proj_bias (3E) are its own."""
    out = next((c for c in module.children if c.name == "out_proj" and c.args is not None), None)
    m = re.search(r"in_features=(\d+)", out.args or "") if out else None
    if m is None or out is None:
        walk.lower.append(f"{path} (MultiheadAttention): no out_proj printed; its in_proj is not counted")
        return Count(0)
    e = _number(m[1], out.line, "in_features")
    bias = "bias=False" not in (out.args or "")
    own = Count(3 * e * e + (3 * e if bias else 0))
    if parent is None or parent.cls not in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        walk.unsure.append(
            f"{path or 'the model'} (MultiheadAttention): print(model) does not show kdim, vdim and add_bias_kv; its "
            f"in_proj is counted as 3·E·E = 3·{e}·{e} (+ 3·E bias), exact only when kdim = vdim = embed_dim and "
            f"add_bias_kv=False (otherwise torch holds q_proj_weight E×E, k_proj_weight E×kdim and v_proj_weight "
            f"E×vdim, and add_bias_kv adds bias_k and bias_v, 2·E more)"
        )
    walk.rows.append(Row(path=f"{path}.in_proj", name="in_proj", type="Parameter", depth=depth, output_shape=None,
                         count=own, leaf=True,
                         note="in_proj_weight (3E×E) and in_proj_bias, held by MultiheadAttention (kdim = vdim = E)"))
    return own


def _ties(walk: _Walk) -> tuple[list[str], int]:
    """Weights that may be one tensor printed twice, and how many values fewer the total has if they are.

    An embedding table and an output layer of the same shape (``Embedding(V, d)``, ``Linear(d, V)``),
    or two token embeddings of the same shape (T5's ``shared`` and each stack's ``embed_tokens``).
    """
    lines, saved = [], 0
    tables = [(p, s, r) for p, s, r in walk.embeddings if not re.search(r"relative|position|token_type|bias", p)]
    for shape in dict.fromkeys(s for _, s, _ in tables):
        group = [(p, r) for p, s, r in tables if s == shape] + [(p, r) for p, s, r in walk.linears if s == shape]
        if len(group) < 2:
            continue
        size = shape[0] * shape[1]
        extra = sum(r for _, r in group) - 1
        saved += extra * size
        names = ", ".join(p for p, _ in group)
        lines.append(f"{names} have the weight shape {shape}: if they are one tensor (tied embeddings, as GPT-2 and "
                     f"T5 tie them), it is printed {'twice' if extra == 1 else f'{extra + 1} times'} and counted once")
    return lines, saved


def summarize_torch_print(text: str) -> Summary:
    """A summary of the model whose ``print(model)`` text is given, saying whether its total is exact,
    a lower bound (parameters the text cannot show) or an upper bound (weights that may be tied).

    Raises:
        ModelError: the text is not a module printout.
    """
    root = parse_torch_print(text)
    walk = _Walk()
    if root.args is not None and not root.children:
        total = _visit(root, root.cls, 1, walk, None)
    else:
        total = _own(root, "", 1, walk, None)
        for child in root.children:
            total = total + _visit(child, child.name, 1, walk, root)
    lower = list(walk.lower)
    for cls, paths in sorted(walk.custom.items()):
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lower.append(f"{cls} ({shown}): not a module paramcalc knows; print(model) shows its children, not any "
                     "parameter it holds itself")
    ties, saved = _ties(walk)
    reasons = [*lower, *walk.unsure, *ties]
    if not reasons:
        exact, bound = True, None
    elif walk.unsure or (lower and ties):
        exact, bound = False, None
    else:
        exact, bound = False, "lower" if lower else "upper"
    facts = []
    if ties:
        facts.append(f"With the same-shaped weights tied: {total.total - saved:,} parameters")
    return Summary(
        name=root.cls, convention="pytorch", input_shapes={}, output_shape=None, rows=tuple(walk.rows),
        totals=total, notes=tuple(walk.notes), description="counted from the text print(model) shows",
        incomplete=tuple(lower), exact=exact, bound=bound, bound_reasons=tuple(reasons), facts=tuple(facts),
        source={"format": "torch-print", "if_tied": total.total - saved if ties else None},
    )
