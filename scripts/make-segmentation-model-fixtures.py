#!/usr/bin/python3
"""PyTorch goldens for the dense-prediction models (test/fixtures/segmentation-model.json), checked by
test/fixtures-segmentation-model.test.ts: PyTorch builds of lib/models/drn.ts (DRN backbone),
lib/models/aspp.ts (ASPP head, DeepLab-lite upsampling) and lib/models/centernet-head.ts with the same
parameter names, so atrous loads their state_dict. Small widths keep the file small; the code paths are
those of the full-size models. Eval mode with random BatchNorm statistics and affine parameters; each
case stores the state, the input, the output, the loss and the gradient of every parameter. Also
CenterNet's training targets and loss (a port of its gaussian_radius, draw_umich_gaussian, _neg_loss and
RegL1Loss) for hand-placed boxes, with the gradients of both maps.

The PyTorch modules here are also what scripts/bench-segmentation-vs-torch.py trains (it imports them).

Run: /usr/bin/python3 scripts/make-segmentation-model-fixtures.py   (Debian's python3-torch 1.13)
"""
import importlib.util
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class BasicBlock(nn.Module):
    """lib/models/drn.ts BasicBlock: 3×3 convs dilated by `dilation`, a 1×1 conv (with bias) on the shortcut."""

    def __init__(self, cin, cout, stride=1, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class DrnBackbone(nn.Module):
    def __init__(self, in_channels=1, widths=(16, 32, 64), dilations=(1, 2, 5)):
        super().__init__()
        w1, w2, w3 = widths
        self.stem = nn.Sequential(nn.Conv2d(in_channels, w1, 3, padding=1, bias=False), nn.BatchNorm2d(w1), nn.ReLU())
        self.layer1 = BasicBlock(w1, w1)
        self.layer2 = BasicBlock(w1, w2, stride=2)
        self.layer3 = BasicBlock(w2, w3, stride=2)
        self.layer4 = nn.ModuleList([BasicBlock(w3, w3, dilation=d) for d in dilations])
        self.out_channels = w3

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(self.stem(x))))
        for b in self.layer4:
            h = b(h)
        return h


def conv_bn_relu(cin, cout, k, d=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=0 if k == 1 else d, dilation=d, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Aspp(nn.Module):
    def __init__(self, cin, channels=32, rates=(2, 4, 6)):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(cin, channels, 1)] + [conv_bn_relu(cin, channels, 3, r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, channels, 1), nn.ReLU())
        self.project = conv_bn_relu(channels * (len(rates) + 2), channels, 1)

    def forward(self, x):
        pooled = F.interpolate(self.pool(x), size=x.shape[2:], mode='bilinear', align_corners=False)
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], 1))


class AsppHead(nn.Module):
    def __init__(self, cin, classes, channels=32, rates=(2, 4, 6)):
        super().__init__()
        self.aspp = Aspp(cin, channels, rates)
        self.classifier = nn.Conv2d(channels, classes, 1)

    def forward(self, x):
        return self.classifier(self.aspp(x))


class DeepLabLite(nn.Module):
    def __init__(self, num_classes=11, widths=(16, 32, 64), dilations=(1, 2, 5), aspp_channels=32, aspp_rates=(2, 4, 6)):
        super().__init__()
        self.backbone = DrnBackbone(1, widths, dilations)
        self.head = AsppHead(self.backbone.out_channels, num_classes, aspp_channels, aspp_rates)

    def forward(self, x):
        return F.interpolate(self.head(self.backbone(x)), size=x.shape[2:], mode='bilinear', align_corners=False)


class CenterNetHead(nn.Module):
    def __init__(self, cin, classes, hidden=32):
        super().__init__()
        self.heatmap = nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, classes, 1))
        self.size = nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, 2, 1))
        with torch.no_grad():
            self.heatmap[2].bias.fill_(-2.19)

    def forward(self, x):
        return torch.cat([self.heatmap(x), self.size(x)], 1)


class CenterNet(nn.Module):
    def __init__(self, num_classes=10, widths=(16, 32, 64), dilations=(1, 2, 5), head_channels=32):
        super().__init__()
        self.backbone = DrnBackbone(1, widths, dilations)
        self.head = CenterNetHead(self.backbone.out_channels, num_classes, head_channels)

    def forward(self, x):
        return self.head(self.backbone(x))


def gaussian_radius(det_size, min_overlap=0.7):
    """CenterNet's src/lib/utils/image.py, as published (its three roots are what CenterNet trains with)."""
    height, width = det_size
    a1, b1 = 1, (height + width)
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2 = 4, 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3 = 4 * min_overlap, -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def draw_umich_gaussian(heatmap, center, radius):
    """CenterNet's draw_umich_gaussian on a torch float64 h×w map."""
    diameter = 2 * radius + 1
    sigma = diameter / 6
    ys = torch.arange(-radius, radius + 1, dtype=torch.float64).view(-1, 1)
    xs = torch.arange(-radius, radius + 1, dtype=torch.float64).view(1, -1)
    gaussian = torch.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    x, y = int(center[0]), int(center[1])
    height, width = heatmap.shape
    left, right = min(x, radius), min(width - x, radius + 1)
    top, bottom = min(y, radius), min(height - y, radius + 1)
    region = heatmap[y - top:y + bottom, x - left:x + right]
    torch.maximum(region, gaussian[radius - top:radius + bottom, radius - left:radius + right], out=region)


def centernet_loss_case():
    """CenterNet's targets (ctdet: gaussian_radius, draw_umich_gaussian, wh at the centre) for hand-placed
    boxes, and its loss (_neg_loss focal loss + 0.1 × RegL1Loss) with the gradients of the two maps."""
    g = torch.Generator().manual_seed(9304)
    classes, size, stride = 3, 32, 4
    h = w = size // stride
    boxes = [[{'x0': 2, 'y0': 3, 'x1': 20, 'y1': 17, 'label': 0}, {'x0': 10, 'y0': 12, 'x1': 31, 'y1': 30, 'label': 2}],
             [{'x0': 0, 'y0': 0, 'x1': 9, 'y1': 32, 'label': 1}, {'x0': 4, 'y0': 6, 'x1': 14, 'y1': 12, 'label': 1},
              {'x0': 16, 'y0': 16, 'x1': 32, 'y1': 32, 'label': 0}]]
    hm = torch.zeros(2, classes, h, w, dtype=torch.float64)
    wh = torch.zeros(2, 2, h, w)
    mask = torch.zeros(2, 2, h, w)
    for i, scene in enumerate(boxes):
        for b in scene:
            bw, bh = (b['x1'] - b['x0']) / stride, (b['y1'] - b['y0']) / stride
            radius = max(0, int(gaussian_radius((math.ceil(bh), math.ceil(bw)))))
            cx, cy = int((b['x0'] + b['x1']) / 2 / stride), int((b['y0'] + b['y1']) / 2 / stride)
            draw_umich_gaussian(hm[i, b['label']], (cx, cy), radius)
            wh[i, :, cy, cx] = torch.tensor([bw, bh])
            mask[i, :, cy, cx] = 1
    gt = hm.float()
    logits = (torch.randn(2, classes, h, w, generator=g) - 2).requires_grad_(True)
    sizes = (3 * torch.rand(2, 2, h, w, generator=g)).requires_grad_(True)
    pred = torch.sigmoid(logits)
    pos, neg = gt.eq(1).float(), gt.lt(1).float()
    pos_loss = (torch.log(pred) * torch.pow(1 - pred, 2) * pos).sum()
    neg_loss = (torch.log(1 - pred) * torch.pow(pred, 2) * torch.pow(1 - gt, 4) * neg).sum()
    focal = -(pos_loss + neg_loss) / pos.sum()
    reg = F.l1_loss(sizes * mask, wh * mask, reduction='sum') / (mask.sum() + 1e-4)
    loss = focal + 0.1 * reg
    loss.backward()
    return {'boxes': boxes, 'classes': classes, 'size': size, 'stride': stride, 'heatmap': tensor_record(gt),
            'sizeTarget': tensor_record(wh), 'logits': tensor_record(logits.detach()), 'sizes': tensor_record(sizes.detach()),
            'loss': float(loss), 'logitsGrad': tensor_record(logits.grad), 'sizesGrad': tensor_record(sizes.grad)}


def randomize_batchnorm(model, g):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(1 + 0.2 * torch.randn(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))


def main():
    global tensor_record
    _spec = importlib.util.spec_from_file_location('make_nn_fixtures', os.path.join(HERE, 'make-nn-fixtures.py'))
    nf = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(nf)  # its module body only defines helpers and constants; main() is guarded
    tensor_record, state_record, write_json = nf.tensor_record, nf.state_record, nf.write_json
    torch.set_num_threads(2)
    cases = []
    for name, dilations in [('deeplab-lite 1,2,5', (1, 2, 5)), ('deeplab-lite 2,2,2', (2, 2, 2))]:
        torch.manual_seed(9300)
        g = torch.Generator().manual_seed(9301)
        config = {'numClasses': 5, 'widths': [4, 6, 8], 'dilations': list(dilations), 'asppChannels': 6, 'asppRates': [2, 4, 6]}
        model = DeepLabLite(5, (4, 6, 8), dilations, 6, (2, 4, 6))
        randomize_batchnorm(model, g)
        model.eval()
        x = torch.randn(2, 1, 32, 32, generator=g)
        targets = torch.randint(0, 5, (2, 32, 32), generator=g)
        targets[0, :4, :] = -100  # ignored pixels
        weight = torch.rand(5, generator=g) + 0.5
        out = model(x)
        loss = F.cross_entropy(out, targets, weight=weight, ignore_index=-100)
        loss.backward()
        cases.append({'name': name, 'kind': 'segmentation', 'config': config, 'state': state_record(model),
                      'input': tensor_record(x), 'targets': {'shape': list(targets.shape), 'data': targets.reshape(-1).tolist()},
                      'weight': tensor_record(weight), 'output': tensor_record(out), 'loss': float(loss),
                      'grads': {k: tensor_record(p.grad) for k, p in model.named_parameters()}})
    torch.manual_seed(9302)
    g = torch.Generator().manual_seed(9303)
    model = CenterNet(3, (4, 6, 8), (1, 2, 5), 5)
    randomize_batchnorm(model, g)
    model.eval()
    x = torch.randn(2, 1, 32, 32, generator=g)
    out = model(x)
    gout = torch.randn(out.shape, generator=g)
    loss = (out * gout).sum()
    loss.backward()
    cases.append({'name': 'centernet', 'kind': 'detection', 'config': {'numClasses': 3, 'widths': [4, 6, 8], 'dilations': [1, 2, 5], 'headChannels': 5},
                  'state': state_record(model), 'input': tensor_record(x), 'gradOutput': tensor_record(gout),
                  'output': tensor_record(out), 'loss': float(loss),
                  'grads': {k: tensor_record(p.grad) for k, p in model.named_parameters()}})
    write_json('segmentation-model.json', {'models': cases, 'centernetLoss': centernet_loss_case()})


if __name__ == '__main__':
    main()
