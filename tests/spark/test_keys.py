"""Keys on their way to executors: never in plans, task closures, logs or files in the clear."""

from __future__ import annotations

import base64
import logging
import pickle
from pathlib import Path

import pandas as pd
import pytest
from pyspark.serializers import CloudPickleSerializer

import govshare.spark as gsp
from govshare.crypto import SecretKey, WrappingKey
from govshare.hazmat import SECRET_ACCESS
from govshare.pseudonym import Pseudonymiser
from govshare.spark._pseudonymise import _pseudonym_udf
from govshare.spark._ship import ship
from tests.identifiers._ids import valid_ids
from tests.spark.conftest import LocalSpark, to_pandas, to_spark

pytestmark = pytest.mark.spark


def _encodings(secret: bytes) -> list[bytes]:
    """The ways a key could show up in text or bytes: raw, hex (both cases), base64."""
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.b64encode(secret)[:-4],  # a prefix survives any base64 framing of longer data
    ]


def _py4j_payloads(text: str) -> list[bytes]:
    """Every bytes argument Py4J logged (its protocol sends bytes as base64 lines after 'j')."""
    found = []
    for line in text.splitlines():
        token = line.strip()
        if token.startswith("j") and len(token) > 40:
            try:
                found.append(base64.b64decode(token[1:], validate=True))
            except ValueError:
                continue
    return found


def _assert_absent(secrets: dict[str, bytes], haystack: bytes, where: str) -> None:
    for name, secret in secrets.items():
        for form in _encodings(secret):
            assert form not in haystack, f"the {name} appears in {where}"


@pytest.fixture
def keys() -> tuple[Pseudonymiser, dict[str, bytes]]:
    """A pseudonymiser and the bytes of its root key and derived domain key."""
    root = SecretKey.generate()
    p = Pseudonymiser(root, domain="hrss")
    secrets = {
        "root key": root.export(SECRET_ACCESS),
        "domain key": p._key(1).export(SECRET_ACCESS),
    }
    return p, secrets


def test_plans_logs_and_py4j_traffic_hold_no_key(
    local_spark: LocalSpark,
    keys: tuple[Pseudonymiser, dict[str, bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """explain() in every mode, Spark's INFO log file and Python's DEBUG logs (Py4J sends the
    pickled UDF through them) never contain the root or the domain key, in any encoding."""
    p, secrets = keys
    spark = local_spark.session
    before = local_spark.log.stat().st_size if local_spark.log.exists() else 0
    sdf = to_spark(spark, pd.DataFrame({"id": valid_ids(200, seed=5).tolist()}))
    with caplog.at_level(logging.DEBUG):
        out = gsp.pseudonymise(sdf, ["id"], pseudonymiser=p)
        plans = [out._jdf.queryExecution().toString()]
        plans += [
            out._sc._jvm.PythonSQLUtils.explainString(out._jdf.queryExecution(), m)
            for m in ("simple", "extended", "codegen", "cost", "formatted")
        ]
        assert len(to_pandas(out)) == 200
    assert any("govshare_pseudonymise" in plan for plan in plans)
    _assert_absent(secrets, "\n".join(plans).encode(), "a query plan")
    _assert_absent(secrets, caplog.text.encode(), "the Python logs")
    sent = _py4j_payloads(caplog.text)
    assert any(b"govshare.spark" in payload for payload in sent), "the pickled UDF was not logged"
    for payload in sent:
        _assert_absent(secrets, payload, "a pickled object Py4J sent to the JVM")
    log = local_spark.log.read_bytes()[before:]
    assert b"INFO" in log
    _assert_absent(secrets, log, "Spark's log file")


def test_the_task_closure_holds_ciphertext_and_the_broadcast_only_a_wrapping_key(
    local_spark: LocalSpark, keys: tuple[Pseudonymiser, dict[str, bytes]]
) -> None:
    """The pickled UDF (what travels in every task) has neither key nor wrapping key; the
    broadcast holds the wrapping key alone; together they open the domain key."""
    p, secrets = keys
    shipped = ship(local_spark.session.sparkContext, p)
    udf = _pseudonym_udf(shipped, "raise", "id")
    command = CloudPickleSerializer().dumps((udf.func, udf.returnType))
    wrapping: WrappingKey = shipped._key.value
    wrapping_bytes = wrapping.__reduce__()[1][0]
    _assert_absent({**secrets, "wrapping key": wrapping_bytes}, command, "the pickled UDF")
    for text in (repr(shipped), repr(shipped._sealed), repr(wrapping)):
        _assert_absent({**secrets, "wrapping key": wrapping_bytes}, text.encode(), "a repr")
    broadcast = pickle.dumps(wrapping)
    _assert_absent(secrets, broadcast, "the broadcast value")
    opened = shipped._sealed.open(wrapping)
    assert opened._key(1).export(SECRET_ACCESS) == secrets["domain key"]


def test_no_file_spark_writes_holds_a_key_in_the_clear(
    local_spark: LocalSpark, keys: tuple[Pseudonymiser, dict[str, bytes]]
) -> None:
    """After a pseudonymising job, no file under spark.local.dir (broadcasts, shuffle, spills)
    contains the root or domain key; the broadcast file there does hold the wrapping key, so the
    scan looks where the broadcasts are."""
    p, secrets = keys
    spark = local_spark.session
    sdf = to_spark(spark, pd.DataFrame({"id": valid_ids(500, seed=6).tolist()}))
    shipped = ship(spark.sparkContext, p)
    out = sdf.withColumn("id", _pseudonym_udf(shipped, "raise", "id")("id"))
    assert out.repartition(3).count() == 500
    assert len(to_pandas(out)) == 500
    wrapping_bytes = shipped._key.value.__reduce__()[1][0]
    files = [f for f in Path(local_spark.local_dir).rglob("*") if f.is_file()]
    assert any(wrapping_bytes in f.read_bytes() for f in files)
    for f in files:
        _assert_absent(secrets, f.read_bytes(), f"file {f.name}")
