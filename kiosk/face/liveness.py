"""A challenge–response liveness step: "please turn your head to the left/right".

The direction is drawn from an injected ``random.Random`` (so an attacker cannot
prepare a clip for it in advance, and tests are reproducible); timeouts run on
the injected clock. The step passes when the *same* face that was first seen
looking at the camera turns in the asked direction by at least
``turn_delta`` (change of :attr:`Detection.yaw` from its own frontal baseline,
so naturally asymmetric faces are not penalised) and comes back to frontal.
"Same face" means: every frame's face overlaps the previous frame's (IoU) or
its embedding stays close to the baseline embedding; a jump to another face
fails the step.

What it does and does not defeat, honestly:

* it defeats a printed photo or a phone picture held still, and a photo turned
  or tilted in front of the lens (a flat picture keeps the nose midway between
  the eyes, so its landmark yaw barely changes);
* it does **not** defeat a video replay of the person turning their head
  (a replay of the right direction, chosen live by an attacker with a phone),
  a 3-D mask, or a deep-fake stream injected into the camera cable. Those need
  depth or infrared cameras (presentation attack detection, ISO/IEC 30107-3)
  that this kiosk does not have; staff supervision of the hall remains the
  control for them.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import Literal

from kiosk.clock import Clock
from kiosk.face.engine import Detection, Embedding, cosine

Direction = Literal["left", "right"]

PROMPT_LOOK = "face.challenge.look_at_camera"
PROMPT_LEFT = "face.challenge.turn_left"
PROMPT_RIGHT = "face.challenge.turn_right"
PROMPT_BACK = "face.challenge.look_back"
FAILED_TIMEOUT = "face.challenge.timeout"
FAILED_SWITCHED = "face.challenge.face_changed"


class Phase(enum.Enum):
    BASELINE = "baseline"   # waiting for a frontal face to track
    TURN = "turn"           # waiting for the turn
    BACK = "back"           # waiting for the face to come back to frontal
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class LivenessConfig:
    #: Required change of yaw from the frontal baseline (see kiosk/face/engine.py).
    #: Frontal jitter between frames of a still face measures < 0.03.
    turn_delta: float = 0.10
    #: |yaw - baseline| below which the face counts as back to frontal.
    back_delta: float = 0.05
    #: |yaw| at most this to start the baseline (looking at the camera).
    baseline_max_yaw: float = 0.15
    timeout_s: float = 10.0
    min_iou: float = 0.3
    #: Embedding cosine to the baseline that still counts as the same face when
    #: boxes jump (fast movement). Same-person frames measure > 0.6.
    min_continuity: float = 0.45


class HeadTurnChallenge:
    def __init__(self, *, clock: Clock, rng: random.Random,
                 config: LivenessConfig = LivenessConfig()) -> None:
        self._clock = clock
        self._config = config
        self.direction: Direction = rng.choice(("left", "right"))
        self.phase = Phase.BASELINE
        self.failure: str | None = None
        self._started = clock.monotonic()
        self._baseline_yaw = 0.0
        self._baseline_embedding: Embedding | None = None
        self._previous: Detection | None = None

    @property
    def prompt(self) -> str:
        """The i18n key to show now."""
        if self.phase is Phase.BASELINE:
            return PROMPT_LOOK
        if self.phase is Phase.TURN:
            return PROMPT_LEFT if self.direction == "left" else PROMPT_RIGHT
        if self.phase is Phase.BACK:
            return PROMPT_BACK
        if self.phase is Phase.FAILED:
            return self.failure or FAILED_TIMEOUT
        return PROMPT_LOOK

    @property
    def done(self) -> bool:
        return self.phase in (Phase.PASSED, Phase.FAILED)

    @property
    def baseline_embedding(self) -> Embedding | None:
        return self._baseline_embedding

    def needs_embedding(self, face: Detection) -> bool:
        """Whether the caller should compute an embedding for this frame: at the
        baseline, and when the box jumped (IoU too low) so continuity needs it."""
        if self.phase is Phase.BASELINE:
            return abs(face.yaw) <= self._config.baseline_max_yaw
        previous = self._previous
        return previous is not None and face.iou(previous) < self._config.min_iou

    def feed(self, face: Detection | None, embedding: Embedding | None = None) -> Phase:
        """One frame's single face (None = no face or several faces)."""
        if self.done:
            return self.phase
        if self._clock.monotonic() - self._started > self._config.timeout_s:
            return self._fail(FAILED_TIMEOUT)
        if face is None:
            return self.phase  # a missed frame is not a failure; the timeout bounds it
        cfg = self._config
        if self.phase is Phase.BASELINE:
            if abs(face.yaw) <= cfg.baseline_max_yaw and embedding is not None:
                self._baseline_yaw = face.yaw
                self._baseline_embedding = embedding
                self._previous = face
                self.phase = Phase.TURN
            return self.phase
        if not self._same_face(face, embedding):
            return self._fail(FAILED_SWITCHED)
        self._previous = face
        delta = face.yaw - self._baseline_yaw
        # Citizen's left = nose towards the image's right = yaw grows (engine.py).
        wanted = delta if self.direction == "left" else -delta
        if self.phase is Phase.TURN and wanted >= cfg.turn_delta:
            self.phase = Phase.BACK
        elif self.phase is Phase.BACK and abs(delta) <= cfg.back_delta:
            self.phase = Phase.PASSED
        return self.phase

    def _same_face(self, face: Detection, embedding: Embedding | None) -> bool:
        previous = self._previous
        if previous is not None and face.iou(previous) >= self._config.min_iou:
            return True
        if embedding is None or self._baseline_embedding is None:
            return False
        return cosine(embedding, self._baseline_embedding) >= self._config.min_continuity

    def _fail(self, reason: str) -> Phase:
        self.phase = Phase.FAILED
        self.failure = reason
        return self.phase
