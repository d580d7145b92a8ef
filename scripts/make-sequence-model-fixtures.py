#!/usr/bin/python3
"""PyTorch goldens for the embedding op and the sequence models (test/fixtures/sequence-models.json),
checked by test/fixtures-sequence-models.test.ts: PyTorch builds of the TCN (both readouts), the text
classifier (lib/models/text-cnn.ts) and the character language model (lib/models/char-lm.ts) with
the same parameter names, so atrous loads their state_dict; each case stores the state, the input,
the output, the loss and the gradient of every parameter (eval mode: dropout off).

Run: /usr/bin/python3 scripts/make-sequence-model-fixtures.py   (Debian's python3-torch 1.13)
"""
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_nn_fixtures', os.path.join(HERE, 'make-nn-fixtures.py'))
nf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nf)  # its module body only defines helpers and constants; main() is guarded
tensor_record, state_record, write_json = nf.tensor_record, nf.state_record, nf.write_json

torch.set_num_threads(2)


class Block1d(nn.Module):
    """lib/models/text-cnn.ts DilatedResidualBlock1d: relu(conv(x)) + x, 'same' or causal padding."""

    def __init__(self, c, k, d, causal):
        super().__init__()
        self.conv = nn.Conv1d(c, c, k, dilation=d, padding=0 if causal else 'same')
        self.left = (k - 1) * d if causal else 0

    def forward(self, x):
        return F.relu(self.conv(F.pad(x, (self.left, 0)) if self.left else x)) + x


class TextCnn(nn.Module):
    def __init__(self, vocab, classes, dim, channels, kernel, dilations):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.project = nn.Conv1d(dim, channels, 1)
        self.blocks = nn.ModuleList([Block1d(channels, kernel, d, False) for d in dilations])
        self.dropout = nn.Dropout(0.2)
        self.classify = nn.Linear(channels, classes)

    def forward(self, ids):
        h = self.project(self.embed(ids).transpose(1, 2))
        for b in self.blocks:
            h = b(h)
        return self.classify(self.dropout(F.adaptive_max_pool1d(h, 1).squeeze(2)))


class CharLm(nn.Module):
    def __init__(self, vocab, dim, channels, kernel, dilations):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.project = nn.Conv1d(dim, channels, 1)
        self.blocks = nn.ModuleList([Block1d(channels, kernel, d, True) for d in dilations])
        self.head = nn.Conv1d(channels, vocab, 1)

    def forward(self, ids):
        h = self.project(self.embed(ids).transpose(1, 2))
        for b in self.blocks:
            h = b(h)
        return self.head(h)


class TemporalBlock(nn.Module):
    """lib/models/tcn.ts: relu(relu(conv2(relu(conv1(x)))) + skip), causal convs."""

    def __init__(self, cin, cout, k, d, weight_norm=False):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, k, dilation=d)
        self.conv2 = nn.Conv1d(cout, cout, k, dilation=d)
        if weight_norm:  # as locuslab/TCN: weight_g / weight_v on the two dilated convs
            self.conv1 = nn.utils.weight_norm(self.conv1)
            self.conv2 = nn.utils.weight_norm(self.conv2)
        self.downsample = nn.Conv1d(cin, cout, 1) if cin != cout else None
        self.left = (k - 1) * d

    def forward(self, x):
        h = F.relu(self.conv1(F.pad(x, (self.left, 0))))
        h = F.relu(self.conv2(F.pad(h, (self.left, 0))))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class Tcn(nn.Module):
    def __init__(self, cin, hidden, levels, kernel, outputs, readout, weight_norm=False):
        super().__init__()
        self.blocks = nn.ModuleList([TemporalBlock(cin if i == 0 else hidden, hidden, kernel, 2 ** i, weight_norm)
                                     for i in range(levels)])
        self.head = nn.Linear(hidden, outputs)
        self.readout = readout

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        h = x[:, :, -1] if self.readout == 'last' else x.permute(0, 2, 1).reshape(-1, x.shape[1])
        return self.head(h)


def model_case(name, config, model, x, targets, loss_fn):
    model.eval()
    out = model(x)
    loss = loss_fn(out, targets)
    model.zero_grad()
    loss.backward()
    grads = {k: tensor_record(p.grad) for k, p in model.named_parameters()}
    rec = {'name': name, 'config': config, 'state': state_record(model), 'output': tensor_record(out),
           'loss': float(loss), 'grads': grads}
    if x.dtype == torch.int64:
        rec['ids'] = {'shape': list(x.shape), 'data': x.reshape(-1).tolist()}
    else:
        rec['input'] = tensor_record(x)
    rec['targets'] = {'shape': list(targets.shape), 'data': targets.reshape(-1).tolist()}
    return rec


def embedding_cases():
    cases = []
    for i, (vocab, dim, ids_shape, padding) in enumerate([(7, 3, [5], None), (10, 4, [2, 6], 0), (6, 5, [3, 2, 4], 2),
                                                          (9, 2, [4, 3], -1), (300, 16, [8, 40], 0)]):
        g = torch.Generator().manual_seed(9100 + i)
        weight = torch.randn(vocab, dim, generator=g, dtype=torch.float64).float().requires_grad_(True)
        ids = torch.randint(0, vocab, ids_shape, generator=g)
        ids.view(-1)[0] = ids.view(-1)[-1]  # a repeated index
        if padding is not None:
            ids.view(-1)[1] = padding % vocab  # the padding row is looked up (and gets no gradient)
        out = F.embedding(ids, weight, padding_idx=padding)
        gout = torch.randn(out.shape, generator=g, dtype=torch.float64).float()
        (out * gout).sum().backward()
        cases.append({'name': f'embedding V={vocab} D={dim} {ids_shape} paddingIdx={padding}', 'paddingIdx': padding,
                      'ids': {'shape': ids_shape, 'data': ids.reshape(-1).tolist()}, 'weight': tensor_record(weight),
                      'gradOutput': tensor_record(gout), 'output': tensor_record(out), 'weightGrad': tensor_record(weight.grad)})
    return cases


def main():
    cases = []
    torch.manual_seed(9200)
    text = TextCnn(50, 4, 16, 24, 3, [1, 2, 4, 8])
    ids = torch.randint(1, 50, (3, 37))
    ids[0, 30:] = 0  # padded tail
    cases.append(model_case('text-cnn', {'vocabSize': 50, 'classes': 4, 'embeddingDim': 16, 'channels': 24, 'kernel': 3,
                                         'dilations': [1, 2, 4, 8]}, text, ids, torch.tensor([0, 3, 1]), F.cross_entropy))
    torch.manual_seed(9201)
    lm = CharLm(30, 8, 16, 2, [1, 2, 4, 8, 16])
    ids = torch.randint(0, 30, (2, 41))
    targets = torch.randint(0, 30, (2, 41))
    cases.append(model_case('char-lm', {'vocabSize': 30, 'embeddingDim': 8, 'channels': 16, 'kernel': 2,
                                        'dilations': [1, 2, 4, 8, 16]}, lm, ids, targets, F.cross_entropy))
    torch.manual_seed(9202)
    tcn = Tcn(2, 12, 4, 7, 1, 'last')
    x = torch.randn(4, 2, 60)
    cases.append(model_case('tcn-last', {'inChannels': 2, 'hidden': 12, 'levels': 4, 'kernel': 7, 'outputs': 1, 'readout': 'last'},
                            tcn, x, torch.randn(4, 1), F.mse_loss))
    torch.manual_seed(9203)
    tcn = Tcn(5, 10, 3, 3, 5, 'each')
    x = torch.randn(2, 5, 30)
    cases.append(model_case('tcn-each', {'inChannels': 5, 'hidden': 10, 'levels': 3, 'kernel': 3, 'outputs': 5, 'readout': 'each'},
                            tcn, x, torch.randint(0, 5, (60,)), F.cross_entropy))
    torch.manual_seed(9204)
    tcn = Tcn(2, 8, 3, 4, 1, 'last', weight_norm=True)
    with torch.no_grad():  # g away from ‖v‖, so the test sees g and v act separately
        for b in tcn.blocks:
            b.conv1.weight_g.mul_(torch.rand_like(b.conv1.weight_g) + 0.5)
            b.conv2.weight_g.mul_(torch.rand_like(b.conv2.weight_g) + 0.5)
    x = torch.randn(3, 2, 50)
    cases.append(model_case('tcn-weight-norm', {'inChannels': 2, 'hidden': 8, 'levels': 3, 'kernel': 4, 'outputs': 1, 'readout': 'last',
                                                'weightNorm': True}, tcn, x, torch.randn(3, 1), F.mse_loss))
    write_json('sequence-models.json', {'models': cases, 'embedding': embedding_cases(), 'weightNorm': weight_norm_cases()})


def weight_norm_cases():
    """torch.nn.utils.weight_norm alone: the names it makes, g's shape, w = g v/‖v‖ and both gradients."""
    cases = []
    for i, (shape, dim) in enumerate([([5, 3, 4], 0), ([6, 7], 0), ([4, 3], None)]):
        torch.manual_seed(9300 + i)
        layer = nn.Conv1d(shape[1], shape[0], shape[2]) if len(shape) == 3 else nn.Linear(shape[1], shape[0])
        layer = nn.utils.weight_norm(layer, dim=dim)
        with torch.no_grad():
            layer.weight_g.mul_(1.7)
        w = layer.weight_g.detach().clone(), layer.weight_v.detach().clone()
        layer.zero_grad()
        weight = torch._weight_norm(layer.weight_v, layer.weight_g, -1 if dim is None else dim)
        gout = torch.randn(weight.shape)
        (weight * gout).sum().backward()
        cases.append({'name': f'weight_norm {shape} dim={dim}', 'shape': shape, 'dim': dim,
                      'names': list(layer.state_dict().keys()), 'g': tensor_record(w[0]), 'v': tensor_record(w[1]),
                      'weight': tensor_record(weight), 'gradOutput': tensor_record(gout),
                      'gGrad': tensor_record(layer.weight_g.grad), 'vGrad': tensor_record(layer.weight_v.grad)})
    return cases


if __name__ == '__main__':
    main()
