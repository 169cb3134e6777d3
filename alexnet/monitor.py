"""Watching a run while it trains: the stuck-at-chance guard and the checkpoint timer.

The guard catches the failure AlexNet reproductions keep meeting: a network
whose training loss sits at ln(classes) (6.91 on ImageNet, 2.30 on ten
classes) because it collapsed to predicting the class prior, usually from an
initialisation or learning rate that does not suit the input scale. Such a run
looks alive (the loss is finite, the progress bar moves) and can waste days.

The timer makes checkpoints a matter of minutes rather than steps, so a run
loses at most a few minutes of work on a kill and spends almost nothing on
writing, whatever its step time.
"""

from __future__ import annotations

import math
import time
from typing import Callable

# What a run does when the guard fires (config key chance_guard_action).
ACTIONS = ("warn", "stop")


class StuckAtChance(RuntimeError):
    """The training loss stayed at ln(classes); raised when the guard's action is 'stop'."""


class ChanceGuard:
    """Fires once when the training loss stays near ln(classes) for `steps` steps in a row.

    Its count is not checkpointed: a resumed run starts counting afresh.

    Args:
      num_classes: C; chance loss is ln C (uniform predictions).
      steps: consecutive steps the loss must stay within `tolerance` of ln C;
        0 switches the guard off.
      tolerance: relative band, e.g. 0.05: |loss - ln C| <= 0.05 ln C.
    """

    def __init__(self, num_classes: int, steps: int, tolerance: float = 0.05):
        self.chance = math.log(num_classes)
        self.steps, self.tolerance = int(steps), float(tolerance)
        self.run, self.fired = 0, False

    def update(self, loss: float) -> str | None:
        """Feeds one step's mean training loss; returns the one-line message when the guard fires."""
        if self.steps <= 0 or self.fired:
            return None
        self.run = self.run + 1 if abs(loss - self.chance) <= self.tolerance * self.chance else 0
        if self.run < self.steps:
            return None
        self.fired = True
        return (f"training loss stuck at chance: {loss:.3f} vs ln({round(math.exp(self.chance))}) = "
                f"{self.chance:.3f} for {self.steps} steps; the network predicts the class prior. "
                "Check the input scale (input_norm), init and lr")


class SaveTimer:
    """Says when a checkpoint is due: every `minutes` of wall time (0: never).

    Args:
      minutes: the cadence.
      clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic):
        self.every_s, self.clock = 60.0 * float(minutes), clock
        self.last = clock()

    def due(self) -> bool:
        return self.every_s > 0 and self.clock() - self.last >= self.every_s

    def reset(self) -> None:
        """Called after every save (timed or end of epoch)."""
        self.last = self.clock()
