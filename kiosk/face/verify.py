"""人证比对: is the person at the screen the person on the ID card?

A :class:`FaceVerifier` is one citizen's verification session. The journey
screen creates it with the card photo, feeds it camera frames, shows
``Step.prompt`` (an i18n key) and stops when ``Step.decision`` is set:

* ``match``: the best live frame's SFace embedding has cosine similarity
  ``>= config.face.threshold`` with the card photo's;
* otherwise up to ``config.face.max_attempts`` attempts, then the configured
  fallback: ``staff`` (call staff to check the card by eye) or ``deny``;
* no card photo (no WLT decoder) or no face found in it: the fallback at once,
  with reason ``face.result.photo_unavailable`` / ``face.result.photo_unusable``.

With ``config.face.liveness`` an attempt starts with the head-turn challenge
(:mod:`kiosk.face.liveness`); the frame compared with the card must still be
the challenged face (embedding continuity), so a photo cannot be slipped in
after a live person passed the challenge.

Privacy: frames, the card photo and embeddings live only in this object's
memory (never logged, never written); :meth:`wipe` zeroes the arrays and drops
them, and the session calls it when it ends. Scores are not personal data and
are returned for the audit trail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from kiosk.clock import Clock
from kiosk.config.model import FaceConfig
from kiosk.face.engine import Detection, Embedding, FaceEngine, Image, cosine
from kiosk.face.guidance import TURNED, Assessment, GuidanceConfig, assess, frame_quality
from kiosk.face.liveness import HeadTurnChallenge, LivenessConfig, Phase

HOLD_STILL = "face.guide.hold_still"
RESULT_MATCH = "face.result.match"
RESULT_NO_MATCH = "face.result.no_match"
RESULT_TRY_AGAIN = "face.result.try_again"
RESULT_PHOTO_UNAVAILABLE = "face.result.photo_unavailable"
RESULT_PHOTO_UNUSABLE = "face.result.photo_unusable"
RESULT_LIVENESS_FAILED = "face.result.liveness_failed"
RESULT_TIMEOUT = "face.result.timeout"

Outcome = Literal["match", "staff", "deny"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str               # i18n key
    score: float | None       # best cosine similarity measured, if any
    attempts: int


@dataclass(frozen=True)
class Step:
    """What one frame changed: guidance keys, the prompt to show, and maybe a decision."""

    prompt: str
    guidance: tuple[str, ...]
    decision: Decision | None
    attempt: int              # 1-based attempt in progress (or the last one)
    retrying: bool = False    # this frame ended an attempt that failed; another starts
    face: Detection | None = None


@dataclass
class _Candidate:
    quality: float
    image: Image
    face: Detection


class FaceVerifier:
    def __init__(self, engine: FaceEngine, card_photo: Image | None, config: FaceConfig, *,
                 clock: Clock, rng: random.Random,
                 guidance: GuidanceConfig | None = None,
                 liveness: LivenessConfig | None = None,
                 frames_per_attempt: int = 5, attempt_timeout_s: float = 30.0) -> None:
        self._engine = engine
        self._config = config
        self._clock = clock
        self._rng = rng
        self._guidance = guidance or GuidanceConfig()
        self._liveness_config = liveness or LivenessConfig()
        self._frames_per_attempt = frames_per_attempt
        self._attempt_timeout_s = attempt_timeout_s
        self._attempts = 0
        self._best_score: float | None = None
        self._decision: Decision | None = None
        self._card_embedding: Embedding | None = None
        self._candidates: list[_Candidate] = []
        self._good_frames = 0
        self._challenge: HeadTurnChallenge | None = None
        self._attempt_started = clock.monotonic()
        if card_photo is None:
            self._decision = self._fallback(RESULT_PHOTO_UNAVAILABLE)
            return
        faces = engine.detect(card_photo)
        if not faces:
            self._decision = self._fallback(RESULT_PHOTO_UNUSABLE)
            return
        self._card_embedding = engine.embed(card_photo, faces[0])
        self._new_challenge()

    # -- the API the journey screen uses -------------------------------------------
    @property
    def decision(self) -> Decision | None:
        return self._decision

    @property
    def challenge(self) -> HeadTurnChallenge | None:
        return self._challenge

    def feed(self, image: Image) -> Step:
        """Process one camera frame (BGR). Cheap enough for every frame at 25 fps:
        detection runs on every frame, an embedding only a few times per attempt."""
        if self._decision is not None:
            return self._step(self._decision.reason, ())
        if self._clock.monotonic() - self._attempt_started > self._attempt_timeout_s:
            return self._attempt_failed(RESULT_TIMEOUT, ())
        assessment = assess(image, self._engine.detect(image), self._guidance)
        challenge = self._challenge
        if challenge is not None and challenge.phase is not Phase.PASSED:
            return self._feed_challenge(challenge, image, assessment)
        if not assessment.usable or assessment.face is None or assessment.metrics is None:
            return self._step(assessment.keys[0], assessment.keys, assessment.face)
        self._good_frames += 1
        quality = frame_quality(assessment.metrics, self._guidance)
        self._candidates.append(_Candidate(quality, image, assessment.face))
        self._candidates.sort(key=lambda c: c.quality, reverse=True)
        del self._candidates[1:]  # only the best frame is kept in memory
        if self._good_frames < self._frames_per_attempt:
            return self._step(HOLD_STILL, (), assessment.face)
        return self._compare(assessment)

    def wipe(self) -> None:
        """Zero and drop every frame and embedding held (end of the session)."""
        for candidate in self._candidates:
            candidate.image.fill(0)
        self._candidates.clear()
        if self._card_embedding is not None:
            self._card_embedding.fill(0)
            self._card_embedding = None
        challenge = self._challenge
        if challenge is not None and challenge.baseline_embedding is not None:
            challenge.baseline_embedding.fill(0)
        self._challenge = None

    # -- internals ----------------------------------------------------------------------
    def _feed_challenge(self, challenge: HeadTurnChallenge, image: Image,
                        assessment: Assessment) -> Step:
        # The challenge asks for a turn: "head turned" is not a problem during it.
        keys = tuple(k for k in assessment.keys if k != TURNED)
        face = assessment.face if assessment.faces == 1 else None
        embedding = None
        if face is not None and challenge.needs_embedding(face):
            embedding = self._engine.embed(image, face)
        phase = challenge.feed(face, embedding)
        if phase is Phase.FAILED:
            return self._attempt_failed(RESULT_LIVENESS_FAILED, keys)
        prompt = keys[0] if keys and phase is Phase.BASELINE else challenge.prompt
        return self._step(prompt, keys, assessment.face)

    def _compare(self, assessment: Assessment) -> Step:
        best = self._candidates[0]
        embedding = self._engine.embed(best.image, best.face)
        challenge = self._challenge
        baseline = challenge.baseline_embedding if challenge is not None else None
        if baseline is not None and \
                cosine(embedding, baseline) < self._liveness_config.min_continuity:
            return self._attempt_failed(RESULT_LIVENESS_FAILED, ())
        assert self._card_embedding is not None  # set whenever no decision was made
        score = cosine(embedding, self._card_embedding)
        self._best_score = score if self._best_score is None else max(self._best_score, score)
        if score >= self._config.threshold:
            self._attempts += 1
            self._decision = Decision("match", RESULT_MATCH, score, self._attempts)
            self._drop_frames()
            return self._step(RESULT_MATCH, (), assessment.face)
        return self._attempt_failed(RESULT_NO_MATCH, ())

    def _attempt_failed(self, reason: str, keys: tuple[str, ...]) -> Step:
        self._attempts += 1
        self._drop_frames()
        if self._attempts >= self._config.max_attempts:
            self._decision = self._fallback(reason)
            return self._step(reason, keys)
        liveness_passed = self._challenge is not None and self._challenge.phase is Phase.PASSED
        if self._challenge is not None and (reason != RESULT_NO_MATCH or not liveness_passed):
            self._new_challenge()
        self._attempt_started = self._clock.monotonic()
        return Step(RESULT_TRY_AGAIN, keys, None, self._attempts + 1, retrying=True)

    def _new_challenge(self) -> None:
        self._challenge = HeadTurnChallenge(clock=self._clock, rng=self._rng,
                                            config=self._liveness_config) \
            if self._config.liveness else None

    def _fallback(self, reason: str) -> Decision:
        return Decision(self._config.fallback, reason, self._best_score,
                        max(self._attempts, 0))

    def _drop_frames(self) -> None:
        self._candidates.clear()
        self._good_frames = 0

    def _step(self, prompt: str, keys: tuple[str, ...], face: Detection | None = None) -> Step:
        attempt = self._attempts if self._decision is not None else self._attempts + 1
        return Step(prompt, keys, self._decision, attempt, face=face)

