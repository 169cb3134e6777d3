"""How the held-out images chose the SVM penalty: a verdict the records and the summaries share."""

from __future__ import annotations

VERDICTS = ("interior", "edge", "tie", "fixed")


def choice_verdict(selection: list[dict], best: float) -> str:
    """'interior' (an optimum inside the grid), 'edge' (at an end of the grid and no worse
    than its neighbour: the optimum may lie outside), 'tie' (every candidate the same
    held-out error: nothing was chosen) or 'fixed' (one candidate, or no held-out images).

    Args:
      selection: one dict per candidate with 'alpha' and 'holdout_top1_err_pct'.
      best: the chosen alpha.
    """
    error = {r["alpha"]: r.get("holdout_top1_err_pct") for r in selection}
    if len(error) < 2 or None in error.values():
        return "fixed"
    if len(set(error.values())) == 1:
        return "tie"
    grid = sorted(error)
    neighbour = {grid[0]: grid[1], grid[-1]: grid[-2]}
    return "edge" if best in neighbour and error[best] <= error[neighbour[best]] else "interior"


def record_verdict(result: dict) -> str:
    """A baseline eval.json's verdict: its `svm_choice`, else computed from its `svm_selection`."""
    if result.get("svm_choice"):
        return result["svm_choice"]
    selection = result.get("svm_selection") or []
    chosen = [r["alpha"] for r in selection if r.get("chosen")]
    return choice_verdict(selection, chosen[0]) if chosen else "fixed"
