"""The fine-tuning optimiser: two weight-decay groups, PyTorch's fused AdamW where a fused kernel exists."""

import torch

from xbench.train.optimizer import adamw, param_groups


def named(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(n, torch.nn.Parameter(torch.randn(shape, generator=g)))
            for n, shape in [("encoder.layer.0.dense.weight", (8, 8)), ("encoder.layer.0.dense.bias", (8,)),
                             ("encoder.layer.0.LayerNorm.weight", (8,)), ("head.layer_norm.weight", (8,)),
                             ("classifier.weight", (3, 8))]]


def test_biases_and_layer_norm_weights_get_no_decay():
    params = named()
    decayed, plain = param_groups(params, 0.01)
    name = {id(p): n for n, p in params}
    assert decayed["weight_decay"] == 0.01 and plain["weight_decay"] == 0.0
    assert [name[id(p)] for p in decayed["params"]] == ["encoder.layer.0.dense.weight", "classifier.weight"]
    assert [name[id(p)] for p in plain["params"]] == ["encoder.layer.0.dense.bias", "encoder.layer.0.LayerNorm.weight",
                                                      "head.layer_norm.weight"]


def test_fused_where_the_device_has_a_kernel_else_the_default():
    assert adamw(named(), lr=1e-3, weight_decay=0.0, device=torch.device("cpu")).defaults["fused"] is True
    other = adamw(named(), lr=1e-3, weight_decay=0.0, device="mps")  # built, not stepped: no MPS here
    assert not other.defaults.get("fused")


def test_the_fused_update_is_the_default_one_up_to_rounding():
    results = []
    for fused in (True, False):
        params = named()
        g = torch.Generator().manual_seed(1)
        opt = (adamw(params, lr=1e-2, weight_decay=0.1, device="cpu") if fused
               else torch.optim.AdamW(param_groups(params, 0.1), lr=1e-2))
        for _ in range(5):
            for _, p in params:
                p.grad = torch.randn(p.shape, generator=g)
            opt.step()
        results.append([p.detach().clone() for _, p in params])
    start = [p for _, p in named()]
    for fused, plain, before in zip(*results, start):
        assert not torch.equal(fused, before)  # it stepped
        assert torch.allclose(fused, plain, rtol=0, atol=1e-6)
