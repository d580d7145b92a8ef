# PyTorch's CharLm training step (the model of scripts/make-sequence-model-fixtures.py, batch 32 x 128 ids,
# Adam), timed, then torch.profiler over 20 steps: the reference beside
# `node scripts/profile-train-step.cjs --model char-lm`. Run with GLIBC_TUNABLES as scripts/bench-common.cjs:
#   GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824 /usr/bin/python3 scripts/profile-torch-charlm-step.py
import importlib.util, os, sys, time
import torch, torch.nn.functional as F
torch.set_num_threads(2)
spec = importlib.util.spec_from_file_location('seq', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'make-sequence-model-fixtures.py'))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
model = m.CharLm(109, 32, 128, 2, [1,2,4,8,16,32,64])
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
ids = (torch.arange(32*128).reshape(32,128)*31 % 109).long()
tg = ((torch.arange(32*128).reshape(32,128)*31+1) % 109).long()
def step():
    opt.zero_grad(); loss = F.cross_entropy(model(ids), tg); loss.backward(); opt.step(); return loss.item()
for _ in range(10): step()
ts=[]
for _ in range(40):
    t=time.perf_counter(); step(); ts.append(time.perf_counter()-t)
ts.sort(); print('torch step median ms', 1000*ts[len(ts)//2])
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(20): step()
print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=25))
