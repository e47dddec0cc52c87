"""The test model zoo: well-known architectures built with Debian's
python3-torch / python3-torchvision, random weights (fixed seed), exported
with torch.onnx.export. Nothing is downloaded.

Widths and resolutions are reduced so that the whole zoo imports, compiles
and runs in a test's time; the topology (every operator torch exports) is
the original's:
  resnet18          torchvision's BasicBlock ResNet-18 layout, widths / 4
  mobilenet_v2      torchvision mobilenet_v2(width_mult=0.25)
  mobilenet_v3_small torchvision mobilenet_v3_small(width_mult=0.25)
  squeezenet        torchvision squeezenet1_1 (ceil-mode max pools)
  shufflenet_v2     torchvision shufflenet_v2_x0_5 (channel shuffle: 5-D
                    reshape and transpose, chunk)
  bert_layer        a BERT encoder layer: separate Q/K/V projections, heads
                    split with reshape/transpose, scaled Q.K^T + additive
                    attention mask, softmax, P.V, erf GELU, post-LN
  transformer_layer torch.nn.TransformerEncoderLayer (batch_first)
  conv1d_net        Conv1d / BatchNorm1d / MaxPool1d / global average pool
  speech_cnn        a keyword-spotting CNN on a 1x40x32 spectrogram
                    (Conv2d, BatchNorm2d, ReLU, AvgPool2d, Dropout, Linear)

build(name, path) exports one and returns (inputs: {name: array},
expected outputs: [array]) with the inputs a structured random sample.
"""
import numpy as np
import torch
import torch.nn as nn
import torchvision

OPSET = 13


class _ResNet18Small(torchvision.models.ResNet):
    """torchvision's ResNet-18 with every width divided by 4."""

    def __init__(self, num_classes=10):
        nn.Module.__init__(self)
        block = torchvision.models.resnet.BasicBlock
        self._norm_layer, self.inplanes, self.dilation, self.groups, self.base_width = nn.BatchNorm2d, 16, 1, 1, 64
        self.conv1 = nn.Conv2d(3, 16, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 16, 2)
        self.layer2 = self._make_layer(block, 32, 2, stride=2)
        self.layer3 = self._make_layer(block, 64, 2, stride=2)
        self.layer4 = self._make_layer(block, 128, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(128, num_classes)


class _BertLayer(nn.Module):
    """One BERT encoder layer as HuggingFace writes it."""

    def __init__(self, hidden=64, heads=4, ffn=128):
        super().__init__()
        self.heads, self.head = heads, hidden // heads
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.o, self.ln1 = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=1e-12)
        self.up, self.down, self.ln2 = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden), nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        b, s, h = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head ** 0.5)
        scores = scores + (1.0 - mask[:, None, None, :]) * -10000.0
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).reshape(b, s, h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.down(nn.functional.gelu(self.up(x))))


class _Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(4, 16, 5, padding=2), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 32, 3, padding=1, groups=32), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.fc = nn.Linear(32, 6)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


class _SpeechCnn(nn.Module):
    """A keyword-spotting CNN (Sainath & Parada's cnn-trad-fpool3 shape,
    reduced)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, (8, 5), padding=(4, 2)), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d((2, 2)),
            nn.Conv2d(16, 32, (4, 3), padding=(2, 1)), nn.BatchNorm2d(32), nn.ReLU(), nn.AvgPool2d((2, 2)),
            nn.Dropout(0.2))
        self.fc = nn.Linear(32 * 10 * 8, 12)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


def _image(shape, rng):
    """A structured image batch: smooth gradients plus noise, normalized as
    torchvision's transforms do."""
    n, c, h, w = shape
    yy, xx = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    base = np.stack([np.sin(3 * xx + i) * np.cos(2 * yy - i) for i in range(c)])[None]
    return (base + 0.3 * rng.standard_normal(shape)).astype(np.float32)


def _models():
    tv = torchvision.models
    img = lambda shape: (lambda rng: {"x": _image(shape, rng)})  # noqa: E731
    seq = 16

    def bert_inputs(rng):
        mask = np.ones((1, seq), np.float32)
        mask[0, -3:] = 0  # padding at the end
        return {"x": rng.standard_normal((1, seq, 64)).astype(np.float32), "mask": mask}
    return {
        "resnet18": (_ResNet18Small, img((1, 3, 64, 64))),
        "mobilenet_v2": (lambda: tv.mobilenet_v2(width_mult=0.25, num_classes=10), img((1, 3, 64, 64))),
        "mobilenet_v3_small": (lambda: tv.mobilenet_v3_small(width_mult=0.25, num_classes=10), img((1, 3, 64, 64))),
        "squeezenet": (lambda: tv.squeezenet1_1(num_classes=10), img((1, 3, 64, 64))),
        "shufflenet_v2": (lambda: tv.shufflenet_v2_x0_5(num_classes=10), img((1, 3, 64, 64))),
        "bert_layer": (_BertLayer, bert_inputs),
        "transformer_layer": (lambda: nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, batch_first=True),
                              lambda rng: {"x": rng.standard_normal((1, seq, 64)).astype(np.float32)}),
        "conv1d_net": (_Conv1dNet, lambda rng: {"x": rng.standard_normal((1, 4, 64)).astype(np.float32)}),
        "speech_cnn": (_SpeechCnn, lambda rng: {"x": rng.standard_normal((1, 1, 40, 32)).astype(np.float32)}),
    }


NAMES = list(_models())


def sample(name, seed):
    """A structured random input sample of model `name`."""
    return _models()[name][1](np.random.default_rng(seed))


def build(name, path, seed=0):
    """Exports model `name` to `path`; returns (model, inputs, expected
    outputs of torch on those inputs)."""
    make, _ = _models()[name]
    torch.manual_seed(seed)
    model = make().eval()
    # Batch-norm statistics away from the identity, as in a trained model.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    inputs = sample(name, seed + 1)
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    # Exported with gradients on: nn.TransformerEncoderLayer takes its fused
    # inference kernel (which has no ONNX form) only without them.
    torch.onnx.export(model, args, path, input_names=list(inputs), output_names=["y"], opset_version=OPSET,
                      do_constant_folding=True)
    with torch.no_grad():
        expected = model(*args)
    return model, inputs, [expected.numpy()]
