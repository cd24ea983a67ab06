"""PyTorch models the benchmark scripts share (bench/torch_cuda.py, bench/torch_gpu_ref.py): each is
the PyTorch twin of a torchlet model, built layer for layer the same way."""
import torch.nn as nn


class Net(nn.Module):  # the `npm start` CNN, examples/train-fashion-mnist.ts
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
