"""An optimizer's ``state_dict`` as safetensors tensors plus JSON, so a checkpoint holds no pickle.

Example:
    tensors = {}; rest = flatten_optimizer(opt.state_dict(), "optimizer", tensors)
    opt.load_state_dict(unflatten_optimizer(rest, "optimizer", tensors))
"""
from __future__ import annotations

from collections import defaultdict

import torch


def flatten_optimizer(opt: dict, prefix: str, tensors: dict[str, torch.Tensor]) -> dict:
    """An optimizer ``state_dict`` as safetensors entries ``prefix.<param>.<name>`` (added to ``tensors``)
    and the JSON rest (param groups, scalar state), which ``unflatten_optimizer`` joins again."""
    scalars: dict = {"param_groups": opt["param_groups"], "state": {}}
    for idx, st in opt["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}.{idx}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars["state"].setdefault(str(idx), {})[k] = v
    return scalars


def unflatten_optimizer(scalars: dict, prefix: str, tensors: dict[str, torch.Tensor]) -> dict:
    state: dict = defaultdict(dict)
    for name, t in tensors.items():
        if name.startswith(prefix + "."):
            idx, k = name[len(prefix) + 1:].split(".", 1)
            state[int(idx)][k] = t
    for idx, st in scalars["state"].items():
        state[int(idx)].update(st)
    return {"state": dict(state), "param_groups": scalars["param_groups"]}
