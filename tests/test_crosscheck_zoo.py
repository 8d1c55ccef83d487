"""Model-zoo networks with branches and merges, built in torch from their published definitions
(torchvision's layouts: torchvision itself cannot be installed beside this torch), compared with
paramcalc's presets and model files: total parameters (the figures torchvision publishes with its
weights), buffers, the parameters of every top-level part, and the output shape of a forward pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import require

import paramcalc
from paramcalc.models.presets import load_preset

torch = require("torch")
nn = torch.nn

pytestmark = [pytest.mark.crosscheck]

DATA = Path(__file__).parent / "data"


# -- DenseNet-121 (Huang et al. 2017; torchvision.models.densenet) -------------------------------


class DenseLayer(nn.Module):
    def __init__(self, c_in: int, growth: int = 32, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c_in)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(c_in, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: Any) -> Any:
        new = self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))
        return torch.cat([x, new], 1)


def densenet121() -> Any:
    features = nn.Sequential()
    features.add_module("conv0", nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False))
    features.add_module("norm0", nn.BatchNorm2d(64))
    features.add_module("relu0", nn.ReLU(inplace=True))
    features.add_module("pool0", nn.MaxPool2d(3, stride=2, padding=1))
    c = 64
    for i, n in enumerate((6, 12, 24, 16), 1):
        block = nn.Sequential(*[DenseLayer(c + 32 * j) for j in range(n)])
        features.add_module(f"denseblock{i}", block)
        c += 32 * n
        if i < 4:
            features.add_module(f"transition{i}", nn.Sequential(
                nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)))
            c //= 2
    features.add_module("norm5", nn.BatchNorm2d(c))
    return nn.Sequential(features, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(c, 1000))


# -- GoogLeNet (Szegedy et al. 2015; torchvision.models.googlenet, no auxiliary classifiers) ------


def basic(c_in: int, c_out: int, **kw: Any) -> Any:
    return nn.Sequential(nn.Conv2d(c_in, c_out, bias=False, **kw), nn.BatchNorm2d(c_out, eps=0.001), nn.ReLU(True))


class Inception(nn.Module):
    def __init__(self, c_in: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> None:
        super().__init__()
        self.branch1 = basic(c_in, c1, kernel_size=1)
        self.branch2 = nn.Sequential(basic(c_in, c3r, kernel_size=1), basic(c3r, c3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(basic(c_in, c5r, kernel_size=1), basic(c5r, c5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), basic(c_in, pool, kernel_size=1))

    def forward(self, x: Any) -> Any:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def googlenet() -> Any:
    m = nn.Sequential()
    m.add_module("conv1", basic(3, 64, kernel_size=7, stride=2, padding=3))
    m.add_module("maxpool1", nn.MaxPool2d(3, stride=2, ceil_mode=True))
    m.add_module("conv2", basic(64, 64, kernel_size=1))
    m.add_module("conv3", basic(64, 192, kernel_size=3, padding=1))
    m.add_module("maxpool2", nn.MaxPool2d(3, stride=2, ceil_mode=True))
    m.add_module("inception3a", Inception(192, 64, 96, 128, 16, 32, 32))
    m.add_module("inception3b", Inception(256, 128, 128, 192, 32, 96, 64))
    m.add_module("maxpool3", nn.MaxPool2d(3, stride=2, ceil_mode=True))
    m.add_module("inception4a", Inception(480, 192, 96, 208, 16, 48, 64))
    m.add_module("inception4b", Inception(512, 160, 112, 224, 24, 64, 64))
    m.add_module("inception4c", Inception(512, 128, 128, 256, 24, 64, 64))
    m.add_module("inception4d", Inception(512, 112, 144, 288, 32, 64, 64))
    m.add_module("inception4e", Inception(528, 256, 160, 320, 32, 128, 128))
    m.add_module("maxpool4", nn.MaxPool2d(2, stride=2, ceil_mode=True))
    m.add_module("inception5a", Inception(832, 256, 160, 320, 32, 128, 128))
    m.add_module("inception5b", Inception(832, 384, 192, 384, 48, 128, 128))
    m.add_module("avgpool", nn.AdaptiveAvgPool2d((1, 1)))
    m.add_module("flatten", nn.Flatten(1))
    m.add_module("dropout", nn.Dropout(0.2))
    m.add_module("fc", nn.Linear(1024, 1000))
    return m


# -- a small U-Net (Ronneberger et al. 2015, halved widths, padded convolutions) -----------------


def double_conv(c_in: int, c_out: int) -> Any:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1, self.enc2, self.bottom = double_conv(1, 16), double_conv(16, 32), double_conv(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.up2, self.dec2 = nn.ConvTranspose2d(64, 32, 2, stride=2), double_conv(64, 32)
        self.up1, self.dec1 = nn.ConvTranspose2d(32, 16, 2, stride=2), double_conv(32, 16)
        self.head = nn.Conv2d(16, 2, 1)

    def forward(self, x: Any) -> Any:
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottom(self.pool(e2))
        d2 = self.dec2(torch.cat([e2, self.up2(b)], 1))
        d1 = self.dec1(torch.cat([e1, self.up1(d2)], 1))
        return self.head(d1)


def parts(module: Any) -> dict[str, int]:
    return {name: sum(p.numel() for p in child.parameters()) for name, child in module.named_children()}


def totals(module: Any) -> tuple[int, int]:
    return sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers())


def forward_shape(module: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    module.eval()
    with torch.no_grad():
        return tuple(module(torch.zeros(shape)).shape)


@pytest.mark.parametrize("name, build, published", [
    ("densenet121", densenet121, 7_978_856),  # torchvision DenseNet121_Weights.IMAGENET1K_V1.meta["num_params"]
    ("googlenet", googlenet, 6_624_904),  # torchvision GoogLeNet_Weights.IMAGENET1K_V1.meta["num_params"]
])
def test_zoo_presets_equal_torch_builds(name: str, build: Any, published: int) -> None:
    model = build()
    params, buffers = totals(model)
    assert params == published
    summary = paramcalc.summarize(load_preset(name))
    assert (summary.totals.total, summary.totals.buffers) == (params, buffers)
    assert summary.output_shape == forward_shape(model, (1, 3, 224, 224)) == (1, 1000)


def test_densenet_blocks_equal_torch_blocks() -> None:
    torch_parts = parts(densenet121()[0])
    rows = {r.path.removeprefix("features."): r.count.total for r in paramcalc.summarize(load_preset("densenet121")).rows
            if r.depth == 2}
    assert rows == torch_parts
    # 6 dense layers in block 1: layer j reads 64 + 32j channels (hand count: BN 2c, 1×1 conv 128c,
    # BN 256, 3×3 conv 128·32·9): sum over j of (130c + 37,120) with c = 64 + 32j
    assert rows["denseblock1"] == sum(130 * (64 + 32 * j) + 256 + 36_864 for j in range(6)) == 335_040


def test_googlenet_inception_modules_equal_torch() -> None:
    torch_parts = parts(googlenet())
    rows = {r.path: r.count.total for r in paramcalc.summarize(load_preset("googlenet")).rows if r.depth == 1}
    assert rows == torch_parts


def test_unet_model_file_equals_torch() -> None:
    model = UNet()
    params, buffers = totals(model)
    summary = paramcalc.summarize(DATA / "unet_small.yaml")
    assert (summary.totals.total, summary.totals.buffers) == (params, buffers)
    assert summary.output_shape == forward_shape(model, (1, 1, 64, 64)) == (1, 2, 64, 64)
    shapes = {r.path: r.output_shape for r in summary.rows}
    assert shapes["skip2"] == (1, 64, 32, 32) and shapes["skip1"] == (1, 32, 64, 64)


def test_squeeze_excitation_multiply_equals_torch() -> None:
    class SE(nn.Module):
        def __init__(self, c: int, r: int) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, c // r, 1), nn.ReLU(),
                                      nn.Conv2d(c // r, c, 1), nn.Sigmoid())

        def forward(self, x: Any) -> Any:
            return x * self.body(x)

    se = SE(64, 4)
    summary = paramcalc.summarize({
        "framework": "pytorch", "input_shape": [2, 64, 14, 14],
        "layers": [{"name": "se", "shortcut": "identity", "merge": "multiply", "layers": [
            "AdaptiveAvgPool2d(1)", "Conv2d(64, 16, 1)", "ReLU()", "Conv2d(16, 64, 1)", "Sigmoid()"]}],
    })
    assert summary.totals.total == totals(se)[0] == 64 * 16 + 16 + 16 * 64 + 64
    assert summary.output_shape == forward_shape(se, (2, 64, 14, 14))
