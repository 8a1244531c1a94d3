import stat

from krakked_core.clock import ManualClock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.config_loading import load_config
from krakked_core.connection import KrakenRestClient, build_rest_client
from krakked_core.paths import AppPaths
from krakked_core.secrets import Credentials
from tests.connection.conftest import SleepRecorder
from tests.connection.loopback import LoopbackKraken, ok


def test_built_from_config_then_uses_rest_url_and_shared_state_files(
    kraken: LoopbackKraken,
    app_paths: AppPaths,
    credentials: Credentials,
    clock: ManualClock,
    sleeper: SleepRecorder,
) -> None:
    config = load_config(app_paths, {"KRAKKED_EXCHANGE__REST_URL": kraken.url})
    kraken.script("Balance", ok({"ZUSD": "1"}))
    client = build_rest_client(config, app_paths, credentials, clock=clock, sleeper=sleeper)

    assert client.balance() == {"ZUSD": "1"}

    nonce = int(app_paths.nonce_file.read_text())
    assert nonce == int(clock.now().timestamp() * 1000)
    assert dict(kraken.requests[0].form)["nonce"] == str(nonce)
    assert app_paths.rate_limit_file.exists()
    assert stat.S_IMODE(app_paths.nonce_file.stat().st_mode) == 0o600


def test_two_clients_of_one_config_dir_then_one_nonce_sequence(
    kraken: LoopbackKraken,
    app_paths: AppPaths,
    credentials: Credentials,
    clock: ManualClock,
    sleeper: SleepRecorder,
) -> None:
    config = AppConfig.model_validate({"exchange": {"rest_url": kraken.url}})
    kraken.script("Balance", ok({}))
    first = build_rest_client(config, app_paths, credentials, clock=clock, sleeper=sleeper)
    second = build_rest_client(config, app_paths, credentials, clock=clock, sleeper=sleeper)

    first.balance()
    second.balance()
    first.balance()

    nonces = [int(dict(r.form)["nonce"]) for r in kraken.requests]
    assert nonces == sorted(set(nonces))
    assert isinstance(first, KrakenRestClient) and "credentials=yes" in repr(first)


def test_business_clock_without_sleeper_then_nonce_and_limits_on_real_time(
    kraken: LoopbackKraken, app_paths: AppPaths, credentials: Credentials, clock: ManualClock
) -> None:
    # A frozen ManualClock (a replay's) must not drive waits: they would never run down.
    config = AppConfig.model_validate({"exchange": {"rest_url": kraken.url}})
    kraken.script("Balance", ok({}))
    client = build_rest_client(config, app_paths, credentials, clock=clock)

    client.balance()

    real_now_ms = int(SystemClock().now().timestamp() * 1000)
    assert abs(int(app_paths.nonce_file.read_text()) - real_now_ms) < 60_000
    assert abs(clock.now().timestamp() * 1000 - real_now_ms) > 60_000  # the fixture is not now
