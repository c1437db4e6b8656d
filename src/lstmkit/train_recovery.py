"""What lets a training run recover, as functions of its ``Trainer``: the resume payload (continue a saved
run exactly), the roll-back on a divergence (once, at a tenth of the rate), and the return to the best
weights on a plateau (annealing).

The trainer (``t`` below, a ``train.Trainer``) calls these at its events; they read and write its state,
weights and optimizer.

Example:
    tensors, meta = resume_payload(trainer)    # saved beside a checkpoint's weights
    load_resume_payload(other, tensors, meta)  # other.fit() continues where trainer stood
"""
from __future__ import annotations

import copy

import torch

from .errors import LstmkitError
from .optim_state import flatten_optimizer, unflatten_optimizer
from .train_config import ANNEAL_FACTOR, TrainState


# ---------------------------------------------------------------------------- resumable state
def resume_payload(t) -> tuple[dict[str, torch.Tensor], dict]:
    """Tensors and JSON that let ``load_resume_payload`` continue this run exactly."""
    tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    meta: dict = {"train_state": t.state.to_dict(),
                  "optimizer": flatten_optimizer(t.optimizer.state_dict(), "optimizer", tensors)}
    if t.hidden is not None:
        for i, h in enumerate(t.hidden):
            tensors[f"hidden.{i}"] = h.detach().cpu().contiguous()
    if t.average is not None:  # the checkpoint's weights are the average; these are the ones training goes on with
        tensors.update(t.average.trained_tensors("trained"))
    if t._best is not None:  # what a plateau after the resume goes back to
        tensors.update({f"best.model.{k}": v.detach().cpu().contiguous() for k, v in t._best["model"].items()})
        meta["best_optimizer"] = flatten_optimizer(t._best["optimizer"], "best.optimizer", tensors)
    return tensors, meta


def load_resume_payload(t, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    try:
        _load_resume_payload(t, tensors, meta)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise LstmkitError(f"the checkpoint does not fit this run ({str(e).splitlines()[0][:120]}); train without --resume") from None


def _load_resume_payload(t, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    t.state = TrainState.from_dict(meta["train_state"])
    t.optimizer.load_state_dict(unflatten_optimizer(meta["optimizer"], "optimizer", tensors))
    hidden = [tensors[f"hidden.{i}"] for i in range(4) if f"hidden.{i}" in tensors]
    t.hidden = tuple(h.to(t.device) for h in hidden) if hidden else None
    # an averaging run saved its average as the weights: that is where the average stands, and the
    # trained weights it goes on from come from the payload
    if t.average is not None:
        t.average.reset()
    if any(k.startswith("trained.") for k in tensors):
        t.model.load_state_dict({k[len("trained."):]: v for k, v in tensors.items() if k.startswith("trained.")}, strict=False)
    if "best_optimizer" in meta:
        model = {k[len("best.model."):]: v.to(t.device) for k, v in tensors.items() if k.startswith("best.model.")}
        own = t.model.state_dict()
        if set(model) != set(own) or any(model[k].shape != own[k].shape for k in own):
            raise ValueError("its best weights do not match the network")
        t._best = {"model": model, "optimizer": unflatten_optimizer(meta["best_optimizer"], "best.optimizer", tensors)}
    torch.set_rng_state(tensors["rng.torch"])


# ---------------------------------------------------------------------------- divergence: roll back once, then stop
def remember_good(t) -> None:
    """Keep a copy of the current (finite) weights, optimizer, position and RNG in memory."""
    t._good = {"model": {k: v.detach().clone() for k, v in t.model.state_dict().items()},
                  "average": None if t.average is None else t.average.copy(),
                  "optimizer": copy.deepcopy(t.optimizer.state_dict()),
                  "hidden": None if t.hidden is None else tuple(h.clone() for h in t.hidden),
                  "state": TrainState(**t.state.to_dict()), "rng": torch.get_rng_state()}


def roll_back(t, loss_value: float, what: str) -> None:
    """Restore the last good state and lower the learning rate tenfold; a second divergence stops the run."""
    st, good = t.state, t._good
    if st.diverged or good is None:
        raise LstmkitError(
            f"training diverged again at step {st.step + 1} ({what} became {loss_value}) after the learning rate "
            f"was lowered tenfold; nothing saved before was changed — train again with a lower --lr (it is {t.config.lr:g})")
    t.model.load_state_dict(good["model"])
    t.optimizer.load_state_dict(copy.deepcopy(good["optimizer"]))
    t.hidden = None if good["hidden"] is None else tuple(h.clone() for h in good["hidden"])
    if t.average is not None:
        t.average.values = [v.clone() for v in good["average"]]
    elapsed = st.elapsed
    t.state = TrainState(**good["state"].to_dict())
    t.state.elapsed, t.state.lr_scale, t.state.diverged = elapsed, t.state.lr_scale * 0.1, True
    torch.set_rng_state(good["rng"])
    t.last_rollback = {"step": st.step + 1, "to_step": t.state.step, "loss": loss_value,
                          "message": f"{what} became {loss_value} at step {st.step + 1}: rolled back to step "
                                     f"{t.state.step} and lowered the learning rate tenfold"}
    t._emit("on_rollback")


# ---------------------------------------------------------------------------- plateaus: back to the best weights at a quarter of the rate, then stop
def on_plateau(t) -> bool:
    """``patience`` evaluations without improvement: anneal while ``anneal`` allows, else stop (True).

    Annealing is what pytorch/examples' language model and Keras' ``ReduceLROnPlateau`` do: a rate
    that has stopped helping is divided by 4. Here the run also goes back to its best weights (and
    their optimizer moments), so the evaluations spent overfitting are not built on.
    """
    st = t.state
    if st.anneals >= t.config.anneal:
        return True
    if t._best is not None:
        t.model.load_state_dict(t._best["model"])
        t.optimizer.load_state_dict(copy.deepcopy(t._best["optimizer"]))
        if t.average is not None:  # the best were averaged weights: training and its average go on from them
            t.average.reset()
    st.anneals, st.bad_evals, st.lr_scale = st.anneals + 1, 0, st.lr_scale * ANNEAL_FACTOR
    remember_good(t)  # a later divergence rolls back to here, never undoing the anneal
    t.last_anneal = {"step": st.step, "lr_scale": st.lr_scale,
                        "message": f"no improvement in {t.config.patience} evaluations at step {st.step}: back to the "
                                   f"best weights, learning rate x{st.lr_scale:g} (anneal {st.anneals} of {t.config.anneal})"}
    t._emit("on_anneal")
    return False
