# Side-by-side example, PyTorch half: a small MLP learns a 3-class spiral with Adam. train.ts is
# the same script in torchlet, line for line. Both start from init.pt (initial weights + data, written
# here by --write-init with torch.save) so their losses agree step by step within float32 rounding.
# Run: /usr/bin/python3 examples/side-by-side/train.py [--write-init]  (writes losses-pytorch.json)
import json, math, os, sys

import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 3)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


def train(steps=200, batch_size=60, lr=0.01):
    init = torch.load(os.path.join(here, "init.pt"))
    x, y = init["x"], init["y"]
    model = Net()
    model.load_state_dict(init["model"])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        i = (step * batch_size) % x.shape[0]
        out = model(x[i:i + batch_size])
        loss = F.cross_entropy(out, y[i:i + batch_size])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 20 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {loss.item():.6f}")
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"accuracy {accuracy:.4f}")
    return losses


def write_init():
    # Not part of the side-by-side: makes the shared starting point (PyTorch's default init, seeded).
    torch.manual_seed(0)
    n, k = 100, 3  # points per class, classes
    r = torch.linspace(0.05, 1, n).repeat(k)
    label = torch.arange(k).repeat_interleave(n)
    theta = label * (2 * math.pi / k) + r * 4 + torch.randn(k * n) * 0.15
    x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1)
    perm = torch.randperm(k * n)  # shuffled once, so consecutive batches mix the classes
    torch.save({"model": Net().state_dict(), "x": x[perm].clone(), "y": label[perm].clone()},
               os.path.join(here, "init.pt"))


if __name__ == "__main__":
    if "--write-init" in sys.argv or not os.path.exists(os.path.join(here, "init.pt")):
        write_init()
    losses = train()
    with open(os.path.join(here, "losses-pytorch.json"), "w") as f:
        json.dump({"torch": torch.__version__, "losses": losses}, f, indent=0)
        f.write("\n")
