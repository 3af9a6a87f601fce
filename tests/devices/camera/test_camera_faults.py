"""Random fault sequences: the camera always recovers, and never hands out stale frames."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.camera.opencv import OpenCVCamera
from devices.camera.simulator import SimulatorFactory, StillScene
from kiosk.clock import FakeClock

ACTIONS = st.lists(st.sampled_from(["poll", "poll", "poll", "unplug", "replug", "freeze",
                                    "thaw", "black", "light", "corrupt", "wait", "disable",
                                    "enable"]), max_size=60)


@settings(max_examples=40, deadline=None)
@given(actions=ACTIONS)
def test_fault_sequences(actions: list[str]) -> None:
    clock = FakeClock()
    picture = np.random.default_rng(0).integers(30, 220, (48, 64, 3), dtype=np.uint8)
    factory = SimulatorFactory(StillScene([picture]), clock=clock, fps=25)
    camera = OpenCVCamera("face", "0", clock=clock, capture_factory=factory,
                          max_read_failures=3, reopen_interval_s=0.5)
    camera.open_without_thread()
    camera.enable()
    faults = factory.faults
    last_seq = 0
    for action in actions:
        if action == "poll":
            reads = sum(c.reads for c in factory.captures)
            frame = camera.poll_once()
            if not camera.enabled:
                assert sum(c.reads for c in factory.captures) == reads  # privacy
            if frame is not None:
                assert frame.seq == last_seq + 1  # every published frame is new
                last_seq = frame.seq
        elif action == "wait":
            clock.advance(0.7)
        elif action == "disable":
            camera.disable()
        elif action == "enable":
            camera.enable()
        elif action == "corrupt":
            faults.corrupt_frames += 1
        else:
            attr, value = {"unplug": ("unplugged", True), "replug": ("unplugged", False),
                           "freeze": ("frozen", True), "thaw": ("frozen", False),
                           "black": ("black", True), "light": ("black", False)}[action]
            setattr(faults, attr, value)
    # clear every fault: within a bounded number of steps the camera is READY with frames
    faults.unplugged = faults.frozen = faults.black = False
    faults.corrupt_frames = 0
    camera.enable()
    for _ in range(10):
        clock.advance(0.5)
        if camera.poll_once() is not None and camera.status.ready:
            break
    assert camera.status.ready, camera.status
    assert camera.latest(timeout=0).seq == camera.frame_count
