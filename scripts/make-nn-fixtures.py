#!/usr/bin/python3
# PyTorch goldens for atrous's nn, optim and io (issue 4): every layer's forward and backward
# (BatchNorm2d in train and eval, alone and followed by ReLU), optimizer trajectories, scheduler LR
# sequences, clip_grad_norm_, 3-step training parity of a small dilated CNN, and a fine-tuning flow
# from a PyTorch-written safetensors state_dict. PyTorch 1.13 has no safetensors package here, so the files are written by
# hand from the format (8-byte LE header length, JSON header, raw little-endian bytes).
# Run: /usr/bin/python3 scripts/make-nn-fixtures.py   (writes test/fixtures/nn-*.json, *.safetensors)
import json
import math
import os
import struct

import numpy as np  # noqa: F401 (tensors' .numpy() values print as float32)
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def flat(t):
    # float32 values written with the fewest digits that read back as the same float32 (halves the files)
    return [float(str(v)) for v in t.detach().float().reshape(-1).numpy()]


def tensor_record(t):
    return {'shape': list(t.shape), 'data': flat(t.float())}


def state_record(module):
    return {k: tensor_record(v) for k, v in module.state_dict().items()}


def write_json(name, obj):
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    print(f'{name}: {os.path.getsize(path)} bytes')


SAFETENSORS_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
                      torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8'}


def write_safetensors(name, tensors, metadata=None):
    """The safetensors layout, by hand: header JSON padded with spaces to 8 bytes, then the bytes."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[key] = {'dtype': SAFETENSORS_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - len(text.encode()) % 8) % 8)
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text.encode())))
        f.write(text.encode())
        for b in blobs:
            f.write(b)
    print(f'{name}: {os.path.getsize(path)} bytes')


# ---------- layers: forward and backward ----------

def layer_case(name, layer, spec, x_shape, train=True, setup=None):
    if setup:
        setup(layer)
    layer.train(train)
    x = torch.randn(*x_shape, requires_grad=True)
    state_before = state_record(layer)
    y = layer(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    return {
        'name': name, 'layer': spec, 'train': train,
        'state': state_before,
        'input': tensor_record(x), 'gradOutput': tensor_record(dy), 'output': tensor_record(y),
        'inputGrad': flat(x.grad),
        'paramGrads': {k: flat(p.grad) for k, p in layer.named_parameters()},
        'stateAfter': state_record(layer),
    }


def random_running_stats(bn):
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features) * 0.5)
        bn.running_var.copy_(torch.rand(bn.num_features) + 0.5)
        bn.weight.copy_(torch.rand(bn.num_features) + 0.5)
        bn.bias.copy_(torch.randn(bn.num_features) * 0.2)


def make_layers():
    torch.manual_seed(1)
    cases = [
        layer_case('conv2d dilated', nn.Conv2d(3, 4, 3, padding=2, dilation=2),
                   {'type': 'Conv2d', 'args': [3, 4, 3, {'padding': 2, 'dilation': 2}]}, (2, 3, 7, 6)),
        layer_case('conv2d strided grouped no bias', nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False),
                   {'type': 'Conv2d', 'args': [4, 6, [3, 2], {'stride': [2, 1], 'padding': [1, 0], 'dilation': [1, 2], 'groups': 2, 'bias': False}]}, (2, 4, 7, 8)),
        layer_case('conv2d same', nn.Conv2d(2, 3, 3, padding='same', dilation=3),
                   {'type': 'Conv2d', 'args': [2, 3, 3, {'padding': 'same', 'dilation': 3}]}, (1, 2, 9, 8)),
        layer_case('conv1d dilated', nn.Conv1d(2, 3, 3, padding=3, dilation=3),
                   {'type': 'Conv1d', 'args': [2, 3, 3, {'padding': 3, 'dilation': 3}]}, (2, 2, 10)),
        layer_case('linear', nn.Linear(5, 3), {'type': 'Linear', 'args': [5, 3]}, (4, 5)),
        layer_case('linear no bias', nn.Linear(5, 2, bias=False), {'type': 'Linear', 'args': [5, 2, {'bias': False}]}, (3, 5)),
        layer_case('relu', nn.ReLU(), {'type': 'ReLU', 'args': []}, (2, 3, 4)),
        layer_case('flatten', nn.Flatten(), {'type': 'Flatten', 'args': []}, (2, 3, 2, 2)),
        layer_case('maxpool2d', nn.MaxPool2d(3, 2, 1), {'type': 'MaxPool2d', 'args': [3, 2, 1]}, (2, 2, 7, 6)),
        layer_case('avgpool2d', nn.AvgPool2d(3, 2, 1), {'type': 'AvgPool2d', 'args': [3, 2, 1]}, (2, 2, 7, 6)),
        layer_case('adaptiveavgpool2d', nn.AdaptiveAvgPool2d((2, 3)), {'type': 'AdaptiveAvgPool2d', 'args': [[2, 3]]}, (2, 2, 5, 7)),
        layer_case('dropout eval', nn.Dropout(0.5), {'type': 'Dropout', 'args': [0.5]}, (2, 5), train=False),
        layer_case('batchnorm2d train', nn.BatchNorm2d(3), {'type': 'BatchNorm2d', 'args': [3]}, (4, 3, 3, 5), setup=random_running_stats),
        layer_case('batchnorm2d train cumulative', nn.BatchNorm2d(3, momentum=None, eps=1e-3),
                   {'type': 'BatchNorm2d', 'args': [3, {'momentum': None, 'eps': 1e-3}]}, (2, 3, 4, 4), setup=random_running_stats),
        layer_case('batchnorm2d eval', nn.BatchNorm2d(3), {'type': 'BatchNorm2d', 'args': [3]}, (2, 3, 4, 3), train=False,
                   setup=random_running_stats),
    ]
    # Two training steps of BatchNorm2d in a row: running statistics and num_batches_tracked accumulate.
    bn = nn.BatchNorm2d(2, momentum=0.3)
    xs = [torch.randn(3, 2, 2, 2) for _ in range(2)]
    outs = [bn(x) for x in xs]
    # BatchNorm2d then ReLU in an nn.Sequential (atrous fuses the pair): its 'layer' spec is the BatchNorm2d's.
    def bn_relu(bn):
        with torch.no_grad():
            bn.running_mean.copy_(torch.randn(bn.num_features) * 0.5)
            bn.running_var.copy_(torch.rand(bn.num_features) + 0.5)
            if bn.affine:
                bn.weight.copy_(torch.randn(bn.num_features))  # some negative: the mask flips
                bn.bias.copy_(torch.randn(bn.num_features) * 0.5)
        return nn.Sequential(bn, nn.ReLU())
    bn_relu_cases = [
        layer_case('batchnorm2d+relu train', bn_relu(nn.BatchNorm2d(3)), {'type': 'BatchNorm2d', 'args': [3]}, (4, 3, 5, 7)),
        layer_case('batchnorm2d+relu train no affine cumulative', bn_relu(nn.BatchNorm2d(2, affine=False, momentum=None)),
                   {'type': 'BatchNorm2d', 'args': [2, {'affine': False, 'momentum': None}]}, (3, 2, 3, 3)),
        layer_case('batchnorm2d+relu eval', bn_relu(nn.BatchNorm2d(3)), {'type': 'BatchNorm2d', 'args': [3]}, (2, 3, 4, 5),
                   train=False),
    ]
    write_json('nn-layers.json', {'cases': cases, 'batchnormSequence': {
        'inputs': [tensor_record(x) for x in xs], 'outputs': [flat(o) for o in outs], 'stateAfter': state_record(bn)},
        'batchnormRelu': bn_relu_cases})


# ---------- optimizers ----------

def trajectory(make_opt, inits, grads):
    params = [p.clone().requires_grad_(True) for p in inits]
    opt = make_opt(params)
    steps = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g.clone()
        opt.step()
        steps.append([flat(p) for p in params])
    return steps


def make_optim():
    torch.manual_seed(2)
    inits = [torch.randn(3, 4), torch.randn(5)]
    grads = [[torch.randn(3, 4), torch.randn(5)] for _ in range(5)]
    grads[2][1] = torch.zeros(5)  # a zero gradient after non-zero ones (amsgrad keeps its maximum)
    cases = [
        ('SGD', {'lr': 0.1}, lambda ps: torch.optim.SGD(ps, lr=0.1)),
        ('SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.1, 'weightDecay': 0.01},
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 1e-3},
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
        ('Adam', {'lr': 0.01}, lambda ps: torch.optim.Adam(ps, lr=0.01)),
        ('Adam', {'lr': 0.02, 'betas': [0.8, 0.95], 'eps': 1e-6, 'weightDecay': 0.1, 'amsgrad': True},
         lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)),
        ('AdamW', {'lr': 0.01}, lambda ps: torch.optim.AdamW(ps, lr=0.01)),
        ('AdamW', {'lr': 0.01, 'weightDecay': 0.2, 'betas': [0.9, 0.99]},
         lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.2, betas=(0.9, 0.99))),
    ]
    out = [{'optimizer': name, 'opts': opts, 'steps': trajectory(make, inits, grads)} for name, opts, make in cases]
    # Parameter groups: their own lr and weight decay over the defaults.
    groups = {'optimizer': 'SGD', 'opts': {'lr': 0.1, 'momentum': 0.9}, 'groups': [{}, {'lr': 0.01, 'weightDecay': 0.1}],
              'steps': trajectory(lambda ps: torch.optim.SGD([{'params': [ps[0]]}, {'params': [ps[1]], 'lr': 0.01, 'weight_decay': 0.1}],
                                                             lr=0.1, momentum=0.9), inits, grads)}
    adam_groups = {'optimizer': 'AdamW', 'opts': {'lr': 0.01}, 'groups': [{'lr': 0.003}, {'weightDecay': 0.0}],
                   'steps': trajectory(lambda ps: torch.optim.AdamW([{'params': [ps[0]], 'lr': 0.003}, {'params': [ps[1]], 'weight_decay': 0.0}],
                                                                    lr=0.01), inits, grads)}
    write_json('nn-optim.json', {'inits': [tensor_record(p) for p in inits],
                                 'grads': [[tensor_record(g) for g in step] for step in grads],
                                 'cases': out + [groups, adam_groups]})


# ---------- schedulers and clipping ----------

def lr_sequence(make_sched, steps):
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{'params': [params[0]], 'lr': 0.1}, {'params': [params[1]], 'lr': 0.02}], lr=0.1)
    sched = make_sched(opt)
    seq = [[g['lr'] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append([g['lr'] for g in opt.param_groups])
    return seq


def make_schedulers():
    S = torch.optim.lr_scheduler
    cases = [
        {'scheduler': 'StepLR', 'opts': {'stepSize': 3, 'gamma': 0.5}, 'lrs': lr_sequence(lambda o: S.StepLR(o, 3, 0.5), 10)},
        {'scheduler': 'CosineAnnealingLR', 'opts': {'tMax': 5, 'etaMin': 0.001},
         'lrs': lr_sequence(lambda o: S.CosineAnnealingLR(o, 5, eta_min=0.001), 16)},
        {'scheduler': 'LinearLR', 'opts': {'startFactor': 0.25, 'totalIters': 4},
         'lrs': lr_sequence(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4), 8)},
        {'scheduler': 'SequentialLR', 'opts': {'warmup': {'startFactor': 0.1, 'totalIters': 3}, 'cosine': {'tMax': 6}, 'milestones': [3]},
         'lrs': lr_sequence(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, 6)], [3]), 12)},
    ]
    torch.manual_seed(3)
    grads = [torch.randn(4, 3), torch.randn(7), torch.randn(2, 2, 2)]
    clip = []
    for max_norm in (1.0, 100.0):
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        clip.append({'maxNorm': max_norm, 'totalNorm': float(total), 'grads': [flat(p.grad) for p in ps]})
    write_json('nn-sched.json', {'schedulers': cases, 'clip': {'grads': [tensor_record(g) for g in grads], 'cases': clip}})


# ---------- training parity: a small dilated CNN ----------

class DilatedNet(nn.Module):
    def __init__(self):
        super().__init__()
        # No bias before BatchNorm: its gradient is zero up to rounding, which Adam would amplify to ±lr.
        self.conv1 = nn.Conv2d(3, 8, 3, padding=2, dilation=2, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=4, dilation=4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


def make_training():
    torch.manual_seed(4)
    net = DilatedNet()
    init = state_record(net)
    x = torch.randn(4, 3, 8, 8)
    y = torch.tensor([0, 3, 1, 4])
    runs = []
    for name, opts, make in [
        ('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 1e-4},
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)),
        ('Adam', {'lr': 1e-3}, lambda ps: torch.optim.Adam(ps, lr=1e-3)),
        ('AdamW', {'lr': 1e-3, 'weightDecay': 0.01}, lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=0.01)),
    ]:
        net.load_state_dict({k: torch.tensor(v['data']).reshape(v['shape']) for k, v in init.items()})
        net.train()
        opt = make(net.parameters())
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        runs.append({'optimizer': name, 'opts': opts, 'losses': losses, 'stateAfter': state_record(net)})
    write_json('nn-train.json', {'init': init, 'input': tensor_record(x), 'targets': y.tolist(), 'runs': runs})


# ---------- fine-tuning from a PyTorch-written safetensors file ----------

class FineNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.Conv2d(6, 8, 3, padding=2, dilation=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def make_finetune():
    torch.manual_seed(5)
    net = FineNet(10)
    # "Pretraining": a few steps so that weights and BatchNorm statistics are not at their initial values.
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(4):
        xb, yb = torch.randn(6, 3, 8, 8), torch.randint(0, 10, (6,))
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        opt.step()
    write_safetensors('nn-finetune.safetensors', net.state_dict(), {'format': 'pt'})
    probe = torch.randn(2, 3, 8, 8)
    net.eval()
    with torch.no_grad():
        probe_out = net(probe)

    # Phase 1: new head, frozen backbone, head trained with SGD (momentum).
    net.fc = nn.Linear(8, 3)
    head_init = state_record(net.fc)
    for p in net.features.parameters():
        p.requires_grad_(False)
    net.train()
    x, y = torch.randn(5, 3, 8, 8), torch.tensor([0, 2, 1, 1, 0])
    opt = torch.optim.SGD(net.fc.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    phase1 = state_record(net)
    # Phase 2: unfreeze; the backbone at a lower lr through parameter groups.
    for p in net.features.parameters():
        p.requires_grad_(True)
    opt = torch.optim.SGD([{'params': net.features.parameters(), 'lr': 0.01}, {'params': net.fc.parameters()}], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    phase2 = state_record(net)
    write_json('nn-finetune.json', {'probe': tensor_record(probe), 'probeOutput': tensor_record(probe_out),
                                    'headInit': head_init, 'input': tensor_record(x), 'targets': y.tolist(),
                                    'phase1': phase1, 'phase2': phase2})


def make_dtypes():
    f16 = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-5, float('inf'), 0.1], dtype=torch.float16)
    bf16 = torch.tensor([1.0, -3.140625, 1e-20, 3e38, 0.1], dtype=torch.bfloat16)
    f64 = torch.tensor([[0.1, -1e-3], [12345.678, 2.0]], dtype=torch.float64)
    i64 = torch.tensor([0, -7, 123456], dtype=torch.int64)
    f32 = torch.tensor([1.5, -2.25], dtype=torch.float32)
    tensors = {'half': f16.reshape(3, 3), 'brain': bf16, 'double': f64, 'count': i64, 'single': f32, 'scalar': torch.tensor(7, dtype=torch.int64)}
    write_safetensors('nn-dtypes.safetensors', tensors)
    # JSON has no infinity: non-finite values are written as the strings JavaScript's Number() reads.
    def js(v):
        return v if math.isfinite(v) else ('Infinity' if v > 0 else '-Infinity' if v < 0 else 'NaN')
    write_json('nn-dtypes.json', {k: {'shape': list(v.shape), 'data': [js(x) for x in flat(v.float())]} for k, v in tensors.items()})


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    make_layers()
    make_optim()
    make_schedulers()
    make_training()
    make_finetune()
    make_dtypes()
