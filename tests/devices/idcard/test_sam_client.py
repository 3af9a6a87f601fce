"""SamClient over the model: timeouts, retries, resynchronisation, status errors."""

from __future__ import annotations

import pytest

from devices.idcard import errors as e
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, Request, Sw3
from devices.idcard.sam import SamCapabilities, SamClient, Timeouts
from devices.idcard.sim_model import OLD_SAM_ID, Fault, FaultKind, SamGeneration, SamModel
from kiosk.clock import FakeClock
from kiosk.errors import DeviceTimeout, NoCard, ProtocolError
from kiosk.identity import CardType

from .loopback import ModelTransport

PROFILES = builtin_profiles()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def model() -> SamModel:
    return SamModel()


@pytest.fixture
def client(model: SamModel, clock: FakeClock) -> SamClient:
    return SamClient(ModelTransport(model, clock), clock=clock, timeouts=Timeouts(0.3, 3.0))


def test_status_and_sam_id(client: SamClient, model: SamModel) -> None:
    client.status()
    assert client.sam_id() == model.sam_id
    assert model.requests == [Command.SAM_STATUS, Command.SAM_ID]


def test_full_read_sequence(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["elderly"])
    client.find()
    read = client.read()
    assert read.identity.name == "赵桂英"
    assert read.identity.appended_addresses == ("浙江省杭州市淳安县千岛湖镇新安东路9号",)
    assert len(read.identity.photo_wlt) == 1024
    assert model.requests == [Command.FIND_CARD, Command.SELECT_CARD, Command.READ_TEXT_PHOTO,
                              Command.READ_APPENDED_ADDRESS]


def test_no_appended_address_is_not_an_error(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["resident"])
    assert client.read().identity.appended_addresses == ()


def test_foreigner_cards_skip_appended_address(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["foreigner_2023"])
    assert client.read().identity.card_type is CardType.FOREIGNER_2023
    assert Command.READ_APPENDED_ADDRESS not in model.requests


def test_read_with_fingerprint(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["resident"])
    assert client.read(fingerprint=True).fingerprint == bytes(1024)
    assert Command.READ_TEXT_PHOTO_FP in model.requests


def test_no_card(client: SamClient) -> None:
    with pytest.raises(e.CardNotFound) as info:
        client.find()
    assert isinstance(info.value, NoCard) and info.value.sw3 == 0x80


@pytest.mark.parametrize("kind", [FaultKind.BAD_CHECKSUM, FaultKind.TRUNCATE,
                                  FaultKind.GARBAGE, FaultKind.SILENT])
def test_line_faults_are_retried(client: SamClient, model: SamModel, kind: FaultKind) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(kind, command=Command.READ_TEXT_PHOTO))
    assert client.read().identity.name == "张三"
    assert model.requests.count(Command.READ_TEXT_PHOTO) == (1 if kind is FaultKind.GARBAGE
                                                              else 2)


def test_sam_rejecting_our_frame_is_retried(client: SamClient, model: SamModel) -> None:
    model.inject(Fault(FaultKind.STATUS, command=Command.SAM_STATUS, sw3=Sw3.CHECKSUM_ERROR))
    client.status()
    assert client.stats.retries == 1


def test_retries_are_bounded(client: SamClient, model: SamModel, clock: FakeClock) -> None:
    model.inject(Fault(FaultKind.SILENT, count=-1))
    t0 = clock.monotonic()
    with pytest.raises(DeviceTimeout):
        client.find()
    assert model.requests == [Command.FIND_CARD] * 3
    assert clock.monotonic() - t0 == pytest.approx(0.9)   # 3 attempts x 0.3 s (find timeout)


def test_persistent_bad_checksum_ends_as_protocol_error(client: SamClient,
                                                        model: SamModel) -> None:
    model.inject(Fault(FaultKind.BAD_CHECKSUM, count=-1))
    with pytest.raises(ProtocolError):
        client.status()
    assert client.stats.bad_frames >= 3


def test_delay_within_timeout_is_fine_and_beyond_is_a_timeout(
        client: SamClient, model: SamModel) -> None:
    model.inject(Fault(FaultKind.DELAY, delay_s=0.2))
    client.status()
    model.inject(Fault(FaultKind.DELAY, delay_s=1.0, count=3))
    with pytest.raises(DeviceTimeout):
        client.status()


def test_card_statuses_are_not_retried(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(FaultKind.STATUS, command=Command.READ_TEXT_PHOTO, sw3=0x41))
    with pytest.raises(e.CardReadFailed):
        client.read()
    assert model.requests.count(Command.READ_TEXT_PHOTO) == 1


def test_unknown_status_is_not_retried(client: SamClient, model: SamModel) -> None:
    model.inject(Fault(FaultKind.STATUS, sw3=0x55))
    with pytest.raises(e.UnknownStatus):
        client.status()
    assert len(model.requests) == 1


def test_sam_not_authorised(client: SamClient, model: SamModel) -> None:
    model.set_sam_status(Sw3.SAM_NOT_AUTHORISED)
    with pytest.raises(e.SamNotAuthorised):
        client.status()


def test_card_removed_mid_read(client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["resident"])
    model.inject(Fault(FaultKind.REMOVE_MID_READ))
    with pytest.raises(e.CardReadFailed):
        client.read()   # half a frame, then the retry finds the card gone (SW3 41)
    assert model.card is None


def test_bad_request_gets_checksum_error_from_the_model(model: SamModel) -> None:
    [out] = model.handle_bad_frame(ProtocolError("x"))
    assert out.data == bytes.fromhex("AAAAAA9669 0004 000010 14".replace(" ", ""))


# --------------------------------------------------------------------------- older SAM modules


@pytest.fixture
def old_model() -> SamModel:
    return SamModel(generation=SamGeneration.OLD)


def test_old_sam_answers_the_appended_address_read_with_command_error(
        old_model: SamModel) -> None:
    old_model.place(PROFILES["elderly"])
    body = Request(Command.READ_APPENDED_ADDRESS).body()
    wire = old_model.handle(body)[0].data
    # AA AA AA 96 69, LEN 00 04, SW1 SW2 00 00, SW3 21, CHK = 00^04^00^00^21
    assert wire == bytes.fromhex("AAAAAA9669 0004 0000 21 25")


def test_old_sam_keeps_the_identity_and_is_not_asked_again(
        old_model: SamModel, clock: FakeClock) -> None:
    capabilities = SamCapabilities()
    client = SamClient(ModelTransport(old_model, clock), clock=clock,
                       timeouts=Timeouts(0.3, 3.0), capabilities=capabilities)
    assert client.sam_id() == OLD_SAM_ID
    old_model.place(PROFILES["elderly"])
    read = client.read()
    assert read.identity.name == "赵桂英"
    assert read.identity.appended_addresses == ()
    assert capabilities.no_appended_address == {OLD_SAM_ID}
    assert not client.appended_address_supported
    old_model.requests.clear()
    # Same SAM behind a new connection (the reader keeps its capabilities).
    again = SamClient(ModelTransport(old_model, clock), clock=clock,
                      timeouts=Timeouts(0.3, 3.0), capabilities=capabilities)
    again.sam_id()
    assert again.read().identity.name == "赵桂英"
    assert Command.READ_APPENDED_ADDRESS not in old_model.requests


def test_a_current_sam_behind_the_same_reader_is_still_asked(
        model: SamModel, clock: FakeClock) -> None:
    capabilities = SamCapabilities(no_appended_address={OLD_SAM_ID})
    client = SamClient(ModelTransport(model, clock), clock=clock,
                       timeouts=Timeouts(0.3, 3.0), capabilities=capabilities)
    client.sam_id()
    model.place(PROFILES["elderly"])
    assert client.read().identity.appended_addresses == ("浙江省杭州市淳安县千岛湖镇新安东路9号",)


def test_no_content_for_the_appended_address_keeps_the_identity(
        client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["elderly"])
    model.inject(Fault(FaultKind.STATUS, command=Command.READ_APPENDED_ADDRESS,
                       sw3=Sw3.NO_CONTENT))
    client.sam_id()
    read = client.read()
    assert read.identity.name == "赵桂英" and read.identity.appended_addresses == ()
    assert client.appended_address_supported  # a card without addresses says nothing of the SAM


def test_other_sam_rejections_of_the_appended_address_still_fail(
        client: SamClient, model: SamModel) -> None:
    model.place(PROFILES["elderly"])
    model.inject(Fault(FaultKind.STATUS, command=Command.READ_APPENDED_ADDRESS,
                       sw3=Sw3.LENGTH_ERROR, count=-1))
    with pytest.raises(e.SamRejectedFrame):
        client.read()
    assert client.capabilities.no_appended_address == set()


def test_command_error_on_the_appended_address_read_keeps_the_identity(
        client: SamClient, model: SamModel) -> None:
    # Works with the simulator's plain fault injection too: SW3 21 on every 30 03.
    model.place(PROFILES["elderly"])
    model.inject(Fault(FaultKind.STATUS, command=Command.READ_APPENDED_ADDRESS,
                       sw3=Sw3.COMMAND_ERROR, count=-1))
    read = client.read()
    assert read.identity.name == "赵桂英" and read.identity.appended_addresses == ()
    model.requests.clear()
    assert client.read().identity.name == "赵桂英"
    assert Command.READ_APPENDED_ADDRESS not in model.requests
