"""torchvision's AlexNet state_dict in `alexnet2014`: the converted network computes
what torch computes (layouts, fc6's flatten order), and the converted run evaluates."""

import numpy as np
import pytest

from alexnet import model as model_lib
from alexnet import torchvision_weights as tv
from alexnet.config import ConfigError

torch = pytest.importorskip("torch", reason="the parity test needs PyTorch (pip install torch)")
nn = torch.nn


def torchvision_alexnet() -> "nn.Module":
    """torchvision.models.AlexNet (the same modules, so the same state_dict keys),
    written out so that torchvision itself is not needed."""
    try:
        from torchvision.models import alexnet
        return alexnet(weights=None)
    except ImportError:
        pass

    class AlexNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
                nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
                nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
                nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return AlexNet()


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(0)
    net = torchvision_alexnet().eval()
    images = np.random.default_rng(0).normal(size=(2, 224, 224, 3)).astype(np.float32)
    with torch.no_grad():
        logits = net(torch.from_numpy(images.transpose(0, 3, 1, 2))).numpy()
    return net, images, logits


def test_converted_network_computes_what_torch_computes(reference):
    net, images, expected = reference
    model_lib.set_precision("float32")
    model = model_lib.build_model("alexnet2014", 1000, 224, dropout=0.5, init="he")
    assert model.count_params() == 61_100_840 == sum(p.numel() for p in net.parameters())
    tv.load_into(model, {k: v.numpy() for k, v in net.state_dict().items()})
    got = np.asarray(model(images, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_a_pth_file_becomes_a_run_folder_that_evaluates(reference, tmp_path):
    from alexnet import evaluate

    net, images, expected = reference
    pth = tmp_path / "alexnet.pth"
    torch.save(net.state_dict(), pth)
    run_dir = tv.write_run(pth, tmp_path / "run")
    model = evaluate.load_model(run_dir)
    np.testing.assert_allclose(np.asarray(model(images, training=False)), expected, rtol=1e-4,
                               atol=1e-4 * np.abs(expected).max())
    stats = evaluate.recorded_colour_stats(run_dir)
    np.testing.assert_allclose(stats.mean, [123.675, 116.28, 103.53])
    np.testing.assert_allclose(stats.std, [58.395, 57.12, 57.375])
    with pytest.raises(ConfigError, match="already holds a run"):
        tv.write_run(pth, run_dir)
    with pytest.raises(ConfigError, match="lacks features.0.weight"):
        tv.keras_weights({})
