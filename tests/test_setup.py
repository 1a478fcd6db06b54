"""Set-up for the paper path (issue #18, item 2): config.check names what the machine lacks
(torchvision, pretrained weights, mirrors.imagenet_val) before any job; the Makefile's extras;
the weight-loading path of the train job from a state-dict file (a stand-in torchvision
module: torchvision does not import with the local CPU torch wheel)."""
import hashlib
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from _workflow import ROOT

from attrobust import config as cfg
from attrobust import extras, models
from attrobust.models import pretrained

PAPER = ROOT / "config" / "paper.yaml"
_real_available = models.torchvision_available   # the fixture below replaces it


def paper(tmp_path, imagenet=True):
    conf = extras.merged(PAPER)
    if imagenet:
        (tmp_path / "imagenet").mkdir(exist_ok=True)
        conf["mirrors"]["imagenet_val"] = str(tmp_path / "imagenet")
    cfg.complete(conf)
    return conf


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A working directory with nothing in resources/, no torch cache, no network."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_cache"))
    monkeypatch.setattr(models, "_reachable", lambda src, timeout=5.0: "://" not in src and Path(src).is_file())
    monkeypatch.setattr(models, "torchvision_available", lambda: True)
    return tmp_path


def put_weights(root, arch):
    path = Path(root) / models.weights_path(arch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"stand-in")
    return path


def test_missing_torchvision_is_named_with_the_fix(machine, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)   # `import torchvision` raises ImportError
    monkeypatch.setattr(models, "torchvision_available", _real_available)   # the real check
    for arch in models.PRETRAINED:
        put_weights(machine, arch)
    with pytest.raises(cfg.ConfigError) as err:
        cfg.check(paper(machine))
    msg = str(err.value)
    assert "torchvision does not import" in msg and "'.[paper]'" in msg and "make venv CONFIG=" in msg
    for m in ("resnet18", "resnet50", "squeezenet1_1"):
        assert m in msg
    assert "weights" not in msg and "mirrors.imagenet_val" not in msg



def test_missing_weights_and_mirror_are_named_all_at_once(machine):
    put_weights(machine, "resnet18")
    with pytest.raises(cfg.ConfigError) as err:
        cfg.check(paper(machine, imagenet=False))
    msg = str(err.value)
    assert "torchvision" not in msg.split("\n", 1)[1].split("weights")[0]   # torchvision "imports"
    for arch in ("squeezenet1_1", "resnet50"):
        assert models.weights_path(arch) in msg
    assert models.weights_path("resnet18") not in msg   # present in resources/torch
    assert "download.pytorch.org" in msg and "download_base_url" in msg
    assert "mirrors.imagenet_val" in msg and msg.count("mirrors.imagenet_val' is") == 1


def test_weights_the_fetch_rule_can_get_are_not_a_problem(machine, monkeypatch):
    cache = machine / "torch_cache" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / models.PRETRAINED["resnet50"]).write_bytes(b"x")      # the user's torch cache
    put_weights(machine, "resnet18")
    monkeypatch.setattr(models, "_reachable", lambda src, timeout=5.0:
                        src.startswith("https://mirror.example/") or ("://" not in src and Path(src).is_file()))
    conf = paper(machine)
    conf["download_base_url"] = "https://mirror.example/models"   # squeezenet by download
    cfg.check(conf)
    assert cfg.setup_problems(conf) == []


def test_a_config_without_torchvision_models_needs_nothing(machine, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setattr(models, "torchvision_available", _real_available)
    conf = extras.merged(ROOT / "config" / "config.yaml")
    cfg.complete(conf)
    assert cfg.torchvision_models(conf) == {} and cfg.setup_problems(conf) == []


def test_extras_select_the_paper_extra_for_torchvision_configs(tmp_path):
    run = lambda c: subprocess.run([sys.executable, "-m", "attrobust.extras", str(c)], capture_output=True,
                                   text=True, check=True).stdout.strip()
    assert run(PAPER) == "paper"
    assert run(ROOT / "config" / "config.yaml") == ""
    own = tmp_path / "own.yaml"   # a model under `models:` whose arch is torchvision's
    own.write_text("figures:\n  gallery: {dataset: imagenet_val, model: mine}\nmodels:\n  mine: {arch: resnet18}\n")
    assert run(own) == "paper"
    make = subprocess.run(["make", "-n", "figures", f"CONFIG={PAPER}"], cwd=ROOT, capture_output=True, text=True)
    assert "attrobust.extras" in make.stdout   # `make figures` installs what the config needs first


def test_pretrained_weights_of_models():
    conf = extras.merged(PAPER)
    assert cfg.pretrained_weights(conf, "resnet18") == "resources/torch/hub/checkpoints/resnet18-f37072fd.pth"
    assert cfg.pretrained_weights(conf, "cnn_small") is None
    conf["models"]["rand"] = {"arch": "resnet18", "hp": {"pretrained": False}}
    assert cfg.pretrained_weights(conf, "rand") is None


# --- the weight-loading path, with a stand-in torchvision ---------------------------------

def _tiny_net():
    from torch import nn

    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 1000))


@pytest.fixture
def fake_torchvision(monkeypatch):
    tv = types.ModuleType("torchvision")
    calls = []

    def get_model(arch, weights=None):
        calls.append((arch, weights))
        if weights is not None:
            raise AssertionError("the workflow's path must not ask torchvision for (downloadable) weights")
        return _tiny_net()

    tv.models = types.SimpleNamespace(get_model=get_model, get_model_weights=lambda a: None)
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    return calls


def test_train_job_loads_the_fetched_state_dict_file(fake_torchvision, tmp_path):
    torch.manual_seed(1)
    want = _tiny_net().state_dict()
    path = tmp_path / "resources/torch/hub/checkpoints" / models.PRETRAINED["resnet18"]
    path.parent.mkdir(parents=True)
    torch.save(want, path)
    net = models.build("resnet18", (3, 224, 224), 1000, pretrained=str(path))
    got = net[1].state_dict()   # [0] is the ImageNet normalisation
    assert fake_torchvision == [("resnet18", None)]
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert not any(getattr(m, "inplace", False) for m in net.modules())
    # the saved model reloads with the same weights, without the weights file
    models.save(net, tmp_path / "model.pt", net.attrobust_spec)
    path.unlink()
    again = models.load(tmp_path / "model.pt")
    assert all(torch.equal(again[1].state_dict()[k], want[k]) for k in want)


def test_a_wrong_or_missing_weights_file_fails_naming_it(fake_torchvision, tmp_path):
    with pytest.raises(models.ModelError, match="does not exist.*fetch_weights"):
        models.build("resnet18", (3, 224, 224), 1000, pretrained=str(tmp_path / "none.pth"))
    bad = tmp_path / "bad.pth"
    torch.save({"weight": torch.zeros(2)}, bad)
    with pytest.raises(models.ModelError, match="not a state dict of this architecture"):
        models.build("resnet18", (3, 224, 224), 1000, pretrained=str(bad))


def test_fetch_weights_copies_from_the_torch_cache_and_checks_the_hash(tmp_path, monkeypatch):
    blob = b"pretend weights"
    name = f"resnet18-{hashlib.sha256(blob).hexdigest()[:8]}.pth"
    monkeypatch.setitem(models.PRETRAINED, "resnet18", name)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache/hub/checkpoints").mkdir(parents=True)
    (tmp_path / "cache/hub/checkpoints" / name).write_bytes(blob)
    dest = tmp_path / "resources/torch/hub/checkpoints" / name
    assert models.fetch_weights("resnet18", dest).endswith(name) and dest.read_bytes() == blob
    (tmp_path / "cache/hub/checkpoints" / name).write_bytes(b"something else")
    dest.unlink()
    with pytest.raises(models.ModelError, match="SHA-256"):
        models.fetch_weights("resnet18", dest)
    assert not dest.exists()
    # fetch_weights calls the _reachable of its own submodule (attrobust.models.pretrained)
    monkeypatch.setattr(pretrained, "_reachable", lambda src, timeout=5.0: False)
    with pytest.raises(models.ModelError, match="copy the file"):
        models.fetch_weights("resnet18", dest)
