"""PyTorch twins of lib/models/wavenet.ts (WaveNetClassifier) and lib/models/mel-cnn.ts (MelCnn), with the
same parameter names, so a state_dict moves between the two. Used by scripts/make-speech-model-fixtures.py
(parity fixtures) and scripts/bench-speech-vs-torch.py (the side-by-side benchmark)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv1d(nn.Conv1d):
    """padding 'causal': (k - 1)·dilation zeros on the left only."""

    def forward(self, x):
        return super().forward(F.pad(x, ((self.kernel_size[0] - 1) * self.dilation[0], 0)))


class GatedResidualBlock(nn.Module):
    def __init__(self, channels, skip_channels, dilation, last):
        super().__init__()
        self.filter = CausalConv1d(channels, channels, 2, dilation=dilation)
        self.gate = CausalConv1d(channels, channels, 2, dilation=dilation)
        self.residual = None if last else nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)

    def forward(self, x):
        z = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        return (x if self.residual is None else x + self.residual(z)), self.skip(z)


class WaveNetBody(nn.Module):
    def __init__(self, classes, residual_channels, skip_channels, dilations, stacks, readout):
        super().__init__()
        all_d = [d for _ in range(stacks) for d in dilations]
        self.input = CausalConv1d(1, residual_channels, 2)
        self.blocks = nn.ModuleList([GatedResidualBlock(residual_channels, skip_channels, d, i == len(all_d) - 1)
                                     for i, d in enumerate(all_d)])
        self.post = nn.Conv1d(skip_channels, skip_channels, 1)
        self.logits = nn.Conv1d(skip_channels, classes, 1) if readout == 'steps' else None

    def forward(self, x):
        h = self.input(x)
        skips = None
        for b in self.blocks:
            h, s = b(h)
            skips = s if skips is None else skips + s
        f = F.relu(self.post(F.relu(skips)))
        return f if self.logits is None else self.logits(f)


class WaveNetClassifier(nn.Module):
    def __init__(self, classes, residualChannels=16, skipChannels=32, dilations=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                 stacks=2, readout='pool'):
        super().__init__()
        self.net = WaveNetBody(classes, residualChannels, skipChannels, list(dilations), stacks, readout)
        self.classify = nn.Linear(2 * skipChannels, classes) if readout == 'pool' else None

    def forward(self, x):
        h = self.net(x)
        if self.classify is None:
            return h.mean(2)
        return self.classify(torch.cat([h.mean(2), h.amax(2)], 1))


class MelCnn(nn.Module):
    def __init__(self, classes, nMels=40, channels=64, kernel=3, dilations=(1, 2, 4, 8)):
        super().__init__()
        layers = []
        for i, d in enumerate(dilations):
            layers += [nn.Conv1d(nMels if i == 0 else channels, channels, kernel, dilation=d, padding='same'),
                       nn.BatchNorm1d(channels), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.classify = nn.Linear(2 * channels, classes)

    def forward(self, x):
        h = self.features(x)
        return self.classify(torch.cat([h.mean(2), h.amax(2)], 1))
