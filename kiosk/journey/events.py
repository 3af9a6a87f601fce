"""Device events into journey triggers: what the bridge calls with what devices report.

:class:`DeviceEvents` is mixed into :class:`kiosk.journey.apply.Journey`; it only
translates (a reader's card events, the face verifier's steps, a device going
UNAVAILABLE under the step that needs it) and fires. The decisions stay in the
journey's table.
"""

from __future__ import annotations

from typing import Any

from devices.base import DeviceState, DeviceStatus
from devices.codescanner.base import CodeScanned, ScanEvent
from devices.idcard.base import CardEvent, CardFailed, CardInserted
from kiosk.errors import DeviceUnavailable
from kiosk.journey.data import FaceStepLike
from kiosk.journey.machine import Change
from kiosk.journey.plan import Plan


class DeviceEvents:
    plan: Plan

    @property
    def state(self) -> str:
        raise NotImplementedError

    def fire(self, trigger: str, **data: Any) -> Change:
        raise NotImplementedError

    def on_card_event(self, event: CardEvent) -> Change:
        """Turn an ID card reader event (devices/idcard/base.py) into the trigger."""
        if isinstance(event, CardInserted):
            return self.fire("card_read", identity=event.identity)
        if isinstance(event, CardFailed):
            return self.fire("card_failed", error=event.error, final=event.final)
        return self.fire("card_removed")

    def on_scan_event(self, event: ScanEvent) -> Change | None:
        """A code scanner event (devices/codescanner/base.py): ``code_scanned`` with the
        code's text, or ``code_unreadable`` for a partial or garbled scan. Only while
        the journey takes codes; elsewhere the table lets them go."""
        if isinstance(event, CodeScanned):
            trigger, data = "code_scanned", {"code": event.code.text}
        else:
            trigger, data = "code_unreadable", {}
        if trigger not in self.allowed():
            return None
        return self.fire(trigger, **data)

    def allowed(self) -> tuple[str, ...]:
        raise NotImplementedError

    def device_needed(self) -> str | None:
        """The device kind the current step cannot do without (catalog DeviceKind)."""
        if self.state == "face":
            return "camera"
        if self.state.startswith("capture:"):
            material = self.plan.material(self.state.split(":", 1)[1])
            return material.capture if material is not None else None
        return None

    def on_device_status(self, kind: str, status: DeviceStatus) -> Change | None:
        """A device the current step needs went UNAVAILABLE (a frozen camera, an
        unplugged document camera): the error state with the device's reason."""
        if status.state is not DeviceState.UNAVAILABLE or kind != self.device_needed():
            return None
        return self.fire("error", error=DeviceUnavailable(
            f"{kind}: {status.reason}", i18n_key=status.reason or "error.device_unavailable"))

    def on_face_step(self, step: FaceStepLike) -> Change | None:
        """Turn one :class:`kiosk.face.verify.Step` into the journey's trigger, if any.

        The verifier counts attempts with the same ``face.max_attempts``; its
        fallback decision (or a card photo that cannot be used) goes straight to
        ``face_fallback``."""
        decision = step.decision
        if decision is None:
            return self.fire("face_failed", reason=step.prompt) if step.retrying else None
        if decision.outcome == "match":
            return self.fire("face_ok", score=decision.score)
        return self.fire("face_unavailable", reason=decision.reason)
