"""The fuzz targets, one table: every parser or reader the collection runs on bytes or answers it does
not control. Adding a parser is one ``Target(...)`` line: a name, how to draw an input (usually
``mutated(seed)`` of a valid example), the function to run, and the errors that count as a clean
refusal (``CanonError`` or the format's documented error class).

Invariants checked by test_fuzz.py for each target: nothing but the allowed errors escapes, each case
ends in bounded time, memory stays bounded, and reader results are JSON-able (Ansible returns them).
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

from hypothesis import strategies as st

# imported at collection, never inside a timed case: a first import there (the inventory plugin pulls in
# ansible's inventory and templating stack) runs with tracemalloc on, and any module a case adds to
# sys.modules makes hypothesis scan the new local modules for constants at its next draw, in the case
from ansible_collections.printfleet.canon.plugins.inventory import discovery
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture
from ansible_collections.printfleet.canon.plugins.module_utils.device import identity
from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber, oids, sweep
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpCredentials, SnmpTarget)


@dataclass
class Target:
    name: str
    strategy: Any                                   # a hypothesis strategy drawing one input
    run: Callable[[Any], Any]
    allowed: Tuple[type, ...] = (CanonError,)
    jsonable: bool = False                          # the result goes into a module result
    group: str = "files"


# ----------------------------------------------------------------------------- byte mutations ---

def _mutate(seed: bytes, ops: List[Tuple[int, int, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for kind, pos, count, blob in ops:
        pos = pos % (len(data) + 1)
        if kind == 0:                                   # truncate
            del data[pos:]
        elif kind == 1 and data:                        # flip a byte
            data[pos % len(data)] ^= (count % 255) + 1
        elif kind == 2:                                 # insert random bytes
            data[pos:pos] = blob
        elif kind == 3:                                 # duplicate a slice (repeated OIDs, rows)
            data[pos:pos] = data[pos:pos + count]
        elif kind == 4:                                 # delete a slice
            del data[pos:pos + count]
        elif kind == 5 and data:                        # a lying length byte
            data[pos % len(data)] = (0x80, 0x84, 0xFF, 0x7F, 0x00)[count % 5]
        elif kind == 6:                                 # NUL, quote, CR/LF, a formula, a non-UTF-8 byte
            data[pos:pos] = (b"\x00", b'"', b"\r\n", b"=1+1", b"\xff\xfe", b"\t", b",,,,,,")[count % 7]
    return bytes(data)


def mutated(seed: bytes, max_ops: int = 4) -> Any:
    """A valid example, changed in up to ``max_ops`` places; or, sometimes, random bytes."""
    op = st.tuples(st.integers(0, 6), st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=32))
    return st.one_of(st.lists(op, min_size=1, max_size=max_ops).map(lambda ops: _mutate(seed, ops)),
                     st.binary(max_size=512))


def zip_member_mutated(seed: bytes) -> Any:
    """A zip (XLSX, jar, package) whose members are mutated but which is still a zip: the parser
    gets past the container to the broken XML, manifest or data inside."""
    names = zipfile.ZipFile(io.BytesIO(seed)).namelist()

    def build(choice: Tuple[int, List[Tuple[int, int, int, bytes]]]) -> bytes:
        index, ops = choice
        target = names[index % len(names)]
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(seed)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                body = src.read(info.filename)
                dst.writestr(info.filename, _mutate(body, ops) if info.filename == target else body)
        return out.getvalue()
    op = st.tuples(st.integers(0, 6), st.integers(0, 1 << 16), st.integers(0, 64), st.binary(max_size=16))
    return st.one_of(st.tuples(st.integers(0, 64), st.lists(op, min_size=1, max_size=3)).map(build), mutated(seed))


def via_file(suffix: str, fn: Callable[[str], Any]) -> Callable[[bytes], Any]:
    """Run a path-taking parser on the bytes (written to a temporary file)."""
    def run(data: bytes) -> Any:
        fd, path = tempfile.mkstemp(suffix=suffix, prefix="fuzz-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return fn(path)
        finally:
            os.unlink(path)
    return run


# ----------------------------------------------------------------------------- SNMP answers ---

def _response_seed() -> bytes:
    from tests.fuzz.hostile import response, value
    msg = ber.Message()
    msg.version, msg.community, msg.request_id = 1, b"public", 0x1234
    binds = [(oids.SYS_DESCR, value(ber.OCTET_STRING, b"Canon iR-ADV C5535 /P")),
             (oids.SYS_OBJECT_ID, value(ber.OID, "1.3.6.1.4.1.1602.4.7")),
             ("1.3.6.1.4.1.1602.1.11.1.3.1.4.101", value(ber.COUNTER32, 4000000000)),
             ("1.3.6.1.4.1.1602.1.11.1.3.1.4.102", value(ber.COUNTER64, 2 ** 63)),
             ("1.3.6.1.2.1.25.3.2.1.5.1", value(ber.INTEGER, -5)),
             ("1.3.6.1.2.1.1.3.0", value(ber.TIMETICKS, 12345)),
             ("1.3.6.1.2.1.4.20.1.1.1", value(ber.IP_ADDRESS, b"\x7f\x00\x00\x01")),
             ("1.3.6.1.2.1.1.9.0", value(ber.END_OF_MIB_VIEW, None))]
    return response(msg, binds)


def decode_message(data: bytes) -> Any:
    msg = ber.decode_message(data)
    return [(name, repr(v)) for name, v in msg.var_binds]


# Values an SNMP answer can carry once decoded: every type the decoder produces, and hostile ones.
# (text values are what the decoder gives for OID and IpAddress: dotted numbers of any length)
TABLE_VALUES = st.one_of(
    st.integers(-(2 ** 70), 2 ** 70), st.integers(-3, 10), st.binary(max_size=80),
    st.sampled_from([b"\xff\xfe\x00bad", b"Canon iR-ADV C5535", b"\x00" * 6, b"\x88\x87\x17\x00\x7f\x72",
                     b"x" * 5000, "1.3.6.1.4.1.1602.4.7", "1.3.6.1.4.1.11.2.3.9.1", "0.0", "127.0.0.1"]),
    st.lists(st.integers(0, 2 ** 40), min_size=2, max_size=40).map(lambda arcs: ".".join(map(str, arcs))),
    st.none(), st.builds(ber.OutOfRange, st.just(ber.COUNTER32), st.integers(2 ** 32, 2 ** 64)))
# a GET may also answer "no such object" (a walk never returns one: it ends the column)
SNMP_VALUES = st.one_of(TABLE_VALUES, st.just(NO_SUCH))
# Names in an answer that are not OIDs. Not st.text(): its default alphabet makes hypothesis build a
# table of every Unicode code point UTF-8-encoded and decoded back (1.1 million of them) the first
# time a process draws one, unless .hypothesis/unicode_data holds it from an earlier run (a fresh CI
# checkout has none). Drawn inside a timed case with tracemalloc on, that took 17.5 s of CPU (1.2 s
# without tracemalloc): the case of 38-48 s that replay could not reproduce (the table was built by
# then). test_fuzz.py builds hypothesis's tables before timing anyway; a name needs no Unicode.
NOT_OIDS = st.one_of(st.lists(st.sampled_from("0123456789.-+ x\u0661\u00b2"), max_size=6).map("".join),
                     st.none(), st.integers(-2, 2 ** 70), st.binary(max_size=6))


class FuzzClient:
    """An SnmpClient stand-in whose answers are drawn by hypothesis: GETs give any value for any
    object, walks give tables of any shape (odd indexes, missing columns, hostile values)."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.gets: List[List[str]] = []         # the objects each GET asked for
        self.requests = 0                       # raw requests (sweep.get_v1's GETNEXT rounds)

    async def get(self, target: SnmpTarget, wanted: Any) -> dict:
        wanted = list(wanted)
        self.gets.append(wanted)
        # one draw for the whole answer, not one per object: each top-level draw costs hypothesis a
        # snapshot of the random module's state (Random.getstate), ~1 ms with tracemalloc on
        values = self.data.draw(st.lists(SNMP_VALUES, min_size=len(wanted), max_size=len(wanted)))
        return dict(zip(wanted, values))

    async def walk_columns(self, target: SnmpTarget, columns: dict, max_rows: Any = None,
                           max_repetitions: int = 25) -> dict:
        rows = self.data.draw(st.lists(st.tuples(st.tuples(st.integers(0, 2 ** 32), st.integers(0, 9)).map(
            lambda t: t[:1 + t[1] % 2]), st.dictionaries(st.sampled_from(sorted(columns)), TABLE_VALUES,
                                                         max_size=len(columns))), max_size=12))
        return dict(rows)

    def walk_warnings(self, host: str) -> List[str]:
        return []

    async def next_pdu(self, target: SnmpTarget, oids: Any) -> Any:
        """A raw answer of any shape (sweep.get_v1's GETNEXT): any error status and index, OIDs equal
        to, below, above or unrelated to the asked ones (or not OIDs), too few or too many of them."""
        self.requests += 1
        return self.data.draw(_raw_answer(tuple(oids) or ("1.3",)))


@functools.lru_cache(maxsize=256)
def _raw_answer(names: Tuple[str, ...]) -> Any:
    """(error status, error index, var binds) answering a request for ``names``: one strategy per name
    list, built once (rounds of every case ask the same lists; a new strategy costs hypothesis a check)."""
    near = st.sampled_from(names)
    oid_text = st.one_of(near, near.map(lambda o: o + ".0"), near.map(lambda o: o.rsplit(".", 1)[0]),
                         near.map(lambda o: o[:-1] + "9"), st.just("1.3"), NOT_OIDS)
    return st.tuples(st.sampled_from([0, 0, 2, 2, 5]),               # noSuchName (2): another round
                     st.integers(-1, len(names) + 2),
                     st.lists(st.tuples(oid_text, SNMP_VALUES), max_size=len(names) + 1))


TARGET = SnmpTarget("127.175.9.9", 161, SnmpCredentials(version="2c"), timeout=0.1, retries=0)


def reader(coro_fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The reader's result as a module returns it (snmp.plain: what a device module hands exit_json)."""
    from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp

    def run(data: Any) -> Any:
        return snmp.plain(asyncio.run(coro_fn(FuzzClient(data))))
    return run


def _identity(client: Any) -> Any:
    return identity.gather_identity(client, TARGET)


def _status(client: Any) -> Any:
    return identity.gather_status(client, TARGET)


def _alerts(client: Any) -> Any:
    return identity.gather_alerts(client, TARGET)


def _supplies(client: Any) -> Any:
    return identity.gather_supplies(client, TARGET)


def _inputs(client: Any) -> Any:
    return identity.gather_inputs(client, TARGET)


async def _counters(client: Any) -> Any:
    job = capture.CaptureJob(TARGET.host, TARGET, "fuzz")
    result = await capture.capture_one(client, job, capture.Selection())
    if result.get("failed") and result.get("error_code") == "snmp_error" and ": " in result.get("error", "") \
            and any(n in result["error"] for n in ("TypeError", "AttributeError", "KeyError", "IndexError",
                                                   "ValueError", "ZeroDivisionError", "OverflowError")):
        raise AssertionError("capture_one hid a crash as snmp_error: %s" % result["error"])
    return result


async def _sweep_classify(client: Any) -> Any:
    """What discovery does with a swept device's answers: classify them into an identity."""
    values = await client.get(TARGET, discovery.IDENTIFY_OIDS)
    return {"identity": identity.classify(values),
            "error_state": identity.decode_error_state(values.get(oids.HR_PRINTER_ERROR_STATE_1))}


async def _sweep_identify_v1(client: Any) -> Any:
    """Discovery's SNMPv1 identification (one GETNEXT, GET for what it cannot decide), then classify.
    Whatever the device answers, get_v1 asks at most one GETNEXT round per object (each noSuchName
    drops one object, anything else ends the rounds) and one GET, of asked objects only, each once."""
    values = await sweep.get_v1(client, TARGET, discovery.IDENTIFY_OIDS)
    assert set(values) == set(discovery.IDENTIFY_OIDS), "get_v1 answered other objects than asked"
    assert 1 <= client.requests <= len(discovery.IDENTIFY_OIDS), "%d GETNEXT rounds" % client.requests
    assert len(client.gets) <= 1, "%d GETs" % len(client.gets)
    for asked in client.gets:
        assert len(asked) == len(set(asked)) and set(asked) <= set(discovery.IDENTIFY_OIDS), asked
    return {"identity": identity.classify(values),
            "error_state": identity.decode_error_state(values.get(oids.HR_PRINTER_ERROR_STATE_1))}


# ----------------------------------------------------------------------------- file seeds ---

def _canon_csv_seed() -> bytes:
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv
    entries = [{"type": "email", "name": "Ann", "address": "ann@example.com", "number": 1},
               {"type": "fax", "name": "Fax \"HQ\"", "fax_number": "0123456", "number": 2},
               {"type": "group", "name": "G", "members": ["Ann"], "number": 3}]
    try:
        return abook_csv.render_canon_csv(entries, list_title="L").encode("utf-8")
    except Exception:  # pylint: disable=broad-except  # the seed is only a start; fall back to a hand-made one
        return (b"# Canon AddressBook CSV version: 0x0002\r\n# CharSet: UTF-8\r\n"
                b"objectclass,cn,mailaddress,indxid,\r\nemail,Ann,ann@example.com,1,\r\n")


EMAIL = {"type": "email", "name": "Ann", "address": "ann@example.com"}


def _emc_csv_seed() -> bytes:
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import emc_addressbook
    return emc_addressbook.render_emc_csv([EMAIL, dict(EMAIL, name="=Bob", address="bob@example.com")],
                                          "email").data.encode("utf-8")


def _emc_xlsx_seed() -> bytes:
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import emc_addressbook
    return emc_addressbook.render_emc_xlsx([EMAIL]).data


def _ldif_seed() -> bytes:
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import ldif
    text = ldif.render_ldif([dict(EMAIL, number=1)], list_title="L", one_touch=False).text
    return text.encode("utf-8")


DEVICE_LIST = (b"DeviceType,ProductName,Manufacturer,PhysicalAddress,State,SerialNumber,IPv4 Address\r\n"
               b"Printer,MF642C,Canon,F4:81:39:00:00:01,Managed,X,127.175.3.1\r\n"
               b"Printer,\"iR, ADV\",Canon,F4:81:39:00:00:02,Unmanaged,Y,127.175.3.2\r\n")


def _device_list_xlsx_seed() -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    for line in DEVICE_LIST.decode().splitlines():
        book.active.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _abook_errors() -> Tuple[type, ...]:
    from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats import abook_csv
    return (CanonError, abook_csv.AddressBookFormatError)


def _parse(fn_name: str, module: str) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        import importlib
        mod = importlib.import_module("ansible_collections.printfleet.canon.plugins.module_utils." + module)
        return getattr(mod, fn_name)(data)
    return run


def _optional(module: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec("ansible_collections.printfleet.canon.plugins.module_utils." + module) is not None
    except ModuleNotFoundError:      # the parent package (a resource) does not exist yet
        return False


def _seed_file(build: Callable[[str], Any], suffix: str) -> bytes:
    """The bytes of a file a project helper writes (valid jar, license, package)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="fuzz-seed-")
    os.close(fd)
    try:
        build(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def _jar_seed() -> bytes:
    from tests.meap_files import make_jar
    return _seed_file(make_jar, ".jar")


def _license_seed() -> bytes:
    from tests.meap_files import license_text
    text = license_text("12345678-aaaa-bbbb-cccc-1234567890ab", "2XA01234")
    return text.encode("utf-8") if isinstance(text, str) else text


def _firmware_seed() -> bytes:
    from ansible_collections.printfleet.canon.plugins.module_utils.firmware import formats as firmware
    return _seed_file(lambda p: firmware.build_package(p, "iR-ADV C5535", "70.12", components={"controller": "70.12"}),
                      ".zip")


def _key_and_cert() -> Tuple[Any, Any]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "printer.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return key, cert


def _pkcs12_seed() -> bytes:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    key, cert = _key_and_cert()
    return pkcs12.serialize_key_and_certificates(b"fuzz", key, cert, None, BestAvailableEncryption(b"fuzz-passphrase"))


def _pem_seed() -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding
    return _key_and_cert()[1].public_bytes(Encoding.PEM)


def _targets() -> List[Target]:
    from ansible_collections.printfleet.canon.plugins.module_utils.discovery import regions
    abook = _abook_errors()
    table = [
        # --- SNMP: the decoder and every reader on top of it ---------------------------------------
        Target("ber.decode_message", mutated(_response_seed(), 6), decode_message, (ber.BerError,), group="snmp"),
        Target("identity", st.data(), reader(_identity), jsonable=True, group="snmp"),
        Target("status", st.data(), reader(_status), jsonable=True, group="snmp"),
        Target("alerts", st.data(), reader(_alerts), jsonable=True, group="snmp"),
        Target("supplies", st.data(), reader(_supplies), jsonable=True, group="snmp"),
        Target("inputs", st.data(), reader(_inputs), jsonable=True, group="snmp"),
        Target("counters.capture_one", st.data(), reader(_counters), jsonable=True, group="snmp"),
        Target("sweep.classify", st.data(), reader(_sweep_classify), jsonable=True, group="snmp"),
        Target("sweep.identify_v1", st.data(), reader(_sweep_identify_v1), jsonable=True, group="snmp"),
        # --- address books ---------------------------------------------------------------------------
        Target("abook.canon_csv", mutated(_canon_csv_seed()), _parse("parse_canon_csv", "addressbook.formats.abook_csv"),
               abook),
        Target("abook.emc_csv", mutated(_emc_csv_seed()), _parse("parse_emc_csv", "addressbook.formats.emc_addressbook"),
               abook),
        Target("abook.emc_xlsx", zip_member_mutated(_emc_xlsx_seed()),
               _parse("parse_emc_xlsx", "addressbook.formats.emc_addressbook"), abook),
        Target("abook.ldif", mutated(_ldif_seed()), _parse("parse_ldif", "addressbook.formats.ldif"), abook),
        # --- EMC device lists --------------------------------------------------------------------------
        Target("device_list.csv", mutated(DEVICE_LIST), via_file(".csv", regions.read_device_list)),
        Target("device_list.tsv", mutated(DEVICE_LIST.replace(b",", b"\t")), via_file(".tsv", regions.read_device_list)),
        Target("device_list.xlsx", zip_member_mutated(_device_list_xlsx_seed()),
               via_file(".xlsx", regions.read_device_list)),
    ]
    # --- files of resources other helpers add (present when their code is) -----------------------------
    if _optional("settings.formats"):
        table.append(Target("settings.export", mutated(b"<?xml version='1.0'?><settings><item id='a'>1</item>"
                                                       b"</settings>"), _parse("parse_or_none", "settings.formats")))
    if _optional("meap.formats"):
        from ansible_collections.printfleet.canon.plugins.module_utils.meap import formats as meap
        table.append(Target("meap.jar", zip_member_mutated(_jar_seed()), via_file(".jar", meap.read_jar)))
        table.append(Target("meap.lic", mutated(_license_seed()), lambda d: meap.parse_license(d, "fuzz.lic")))
        table.append(Target("meap.manifest", mutated(b"Manifest-Version: 1.0\r\nBundle-Name: A\r\n b\r\n"),
                            lambda d: meap.parse_manifest(d.decode("utf-8", "replace"))))
    if _optional("firmware.formats"):
        from ansible_collections.printfleet.canon.plugins.module_utils.firmware import formats as firmware
        table.append(Target("firmware.package", zip_member_mutated(_firmware_seed()),
                            via_file(".zip", firmware.read_package)))
    if _optional("certificates.formats"):
        from ansible_collections.printfleet.canon.plugins.module_utils.certificates import formats as certs
        table.append(Target("certificates.pkcs12", mutated(_pkcs12_seed()),
                            lambda d: certs.load_pkcs12(d, "fuzz-passphrase", "fuzz.p12")))
        table.append(Target("certificates.pem", mutated(_pem_seed()),
                            lambda d: certs.load_certificate(d, "fuzz.pem")))
    return table


TARGETS: List[Target] = _targets()
