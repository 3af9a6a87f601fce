"""An in-memory byte transport in front of the simulator's SAM model, on a FakeClock.

For unit tests of the client's retry/timeout logic and the reader's state
machine: the same request and response bytes as on the pty, without threads or
waiting. Delays in the model's outputs advance the fake clock.
"""

from __future__ import annotations

from devices.idcard.protocol import FrameDecoder
from devices.idcard.sam import SamClient, SamReader, Timeouts
from devices.idcard.sim_model import SamModel
from kiosk.clock import FakeClock
from kiosk.errors import DeviceUnavailable, ProtocolError


class ModelTransport:
    def __init__(self, model: SamModel, clock: FakeClock) -> None:
        self.model = model
        self.clock = clock
        self.decoder = FrameDecoder(model.framing)
        self.pending: list[tuple[float, bytes]] = []   # (arrives at, bytes)
        self.unplugged = False
        self.closed = False
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        if self.unplugged:
            raise DeviceUnavailable("write: unplugged")
        self.written.append(data)
        t = self.clock.monotonic()
        for event in self.decoder.feed(data):
            outputs = (self.model.handle_bad_frame(event) if isinstance(event, ProtocolError)
                       else self.model.handle(event.body))
            for out in outputs:
                t += out.delay_s
                self.pending.append((t, out.data))

    def read(self, size: int, timeout: float) -> bytes:
        if self.unplugged:
            raise DeviceUnavailable("read: unplugged")
        now = self.clock.monotonic()
        if not self.pending or self.pending[0][0] - now > timeout:
            self.clock.advance(timeout)
            return b""
        t, data = self.pending[0]
        if t > now:
            self.clock.advance(t - now)
        if len(data) > size:
            self.pending[0] = (t, data[size:])
        else:
            self.pending.pop(0)
        return data[:size]

    def discard_input(self) -> None:
        now = self.clock.monotonic()
        self.pending = [(t, d) for t, d in self.pending if t > now]

    def close(self) -> None:
        self.closed = True


class LoopbackReader(SamReader):
    """A SAM reader whose 'port' is a ModelTransport; ``unplugged`` makes opening fail."""

    def __init__(self, model: SamModel, clock: FakeClock, **base: object) -> None:
        super().__init__("loopback", clock=clock, **base)  # type: ignore[arg-type]
        self.model = model
        self.fake_clock = clock
        self.unplugged = False
        self.transports: list[ModelTransport] = []

    def _connect_client(self) -> SamClient:
        if self.unplugged:
            raise DeviceUnavailable("open: no such port")
        transport = ModelTransport(self.model, self.fake_clock)
        self.transports.append(transport)
        client = SamClient(transport, clock=self.fake_clock, timeouts=Timeouts(0.3, 3.0))
        client.status()
        return client

    def unplug(self) -> None:
        self.unplugged = True
        for t in self.transports:
            t.unplugged = True
