# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_certificate on the resource-module base: CA certificates and key pairs on a device.

Identity: a key is (name, usage) as the EMC guide says (the certificate fingerprint is also compared,
so a renewed PKCS#12 under the same name is a change); a CA certificate is its SHA-256 fingerprint.
One key per usage on a device: taking a usage held by another key needs ``replace: true`` (the
device moves the usage). Factory-default entries are never touched; in-use entries are not removed.
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.certificates import formats
from ansible_collections.printfleet.canon.plugins.module_utils.certificates import spec as cspec
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import Plan, ResourceModule
from ansible_collections.printfleet.canon.plugins.module_utils.policy.read import answer, check_answer
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params)

MENU = "Settings/Registration > Management Settings > Device Management > Key and Certificate Settings"
F = pt.SECURITY_CERT_FIELDS


def read_store(session: Any) -> Dict[str, Any]:
    """{certificates: [...], keys: [...]} with days_left (the input for renewal reports)."""
    page = session.get_page("certificate_list")
    data = answer(page)
    if not data or not data.get("ok"):
        raise CanonError("unsupported_capability", "The device shows no key and certificate list.",
                         hint="Check %s." % MENU)
    out: Dict[str, List[Dict[str, Any]]] = {"certificates": [], "keys": []}
    for kind in ("certificates", "keys"):
        for entry in data.get(kind) or []:
            row = {k: entry.get(k) for k in ("subject", "issuer", "not_after", "signature_algorithm", "fingerprint",
                                             "default", "in_use", "expired")}
            row["days_left"] = formats.days_left(entry["not_after"])
            if kind == "keys":
                row.update(name=entry.get("name"), usage=list(entry.get("usage") or []))
            out[kind].append(row)
    return out


class CertificateResource(ResourceModule):
    states = cspec.STATES
    default_state = "present"
    secret_keys = ("passphrase",)
    resource_name = "keys and certificates"

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self.kind = "ca_certificate"
        self.local: Optional[Dict[str, Any]] = None
        self.data = b""

    def validate(self) -> None:
        p = self.params
        self.kind = p.get("type") or ("key_pair" if p.get("name") else "ca_certificate")
        if self.state == "gathered":
            return
        if self.kind == "key_pair":
            if not p.get("name"):
                raise CanonError("invalid_argument", "key pairs need name (the key name on the device)")
            if len(p["name"]) > cspec.KEY_NAME_MAX:
                raise CanonError("invalid_argument", "name must be at most %d characters" % cspec.KEY_NAME_MAX)
        if self.state == "present":
            if not p.get("src"):
                raise CanonError("invalid_argument", "state present needs src")
            try:
                with open(p["src"], "rb") as fh:
                    self.data = fh.read()
            except OSError as exc:
                raise CanonError("certificate_invalid", "cannot read %s: %s" % (p["src"], exc.strerror))
            if self.kind == "key_pair":
                if not p.get("usage"):
                    raise CanonError("invalid_argument", "key pairs need at least one usage (e.g. tls)")
                self.local = formats.load_pkcs12(self.data, p.get("passphrase"), p["src"])
            else:
                self.local = formats.load_certificate(self.data, p["src"])
        elif self.kind == "ca_certificate":
            if p.get("src"):
                with open(p["src"], "rb") as fh:
                    self.local = formats.load_certificate(fh.read(), p["src"])
            elif not p.get("fingerprint"):
                raise CanonError("invalid_argument", "removing a CA certificate needs src or fingerprint")

    def connect(self, stack: contextlib.ExitStack) -> Any:
        return stack.enter_context(RemoteUiSession(options_from_params(self.params)))

    def read(self, conn: Any) -> Dict[str, Any]:
        return read_store(conn)

    def plan(self, before: Dict[str, Any]) -> Plan:
        p = self.params
        actions: List[Dict[str, Any]] = []
        if self.kind == "ca_certificate":
            fingerprint = (self.local or {}).get("fingerprint") or (p.get("fingerprint") or "").lower().replace(":", "")
            have = next((c for c in before["certificates"] if c["fingerprint"] == fingerprint), None)
            if self.state == "present" and have is None:
                actions.append({"action": "add_certificate", "subject": self.local["subject"],
                                "fingerprint": fingerprint})
            elif self.state == "absent" and have is not None:
                self._removable(have, "certificate %s" % have["subject"])
                actions.append({"action": "remove_certificate", "subject": have["subject"], "fingerprint": fingerprint})
        else:
            name, usage = p["name"], sorted(set(p.get("usage") or []))
            have = next((k for k in before["keys"] if k["name"] == name), None)
            if self.state == "absent":
                if have is not None:
                    self._removable(have, "key %s" % name)
                    actions.append({"action": "remove_key", "name": name})
            elif have is None or have["fingerprint"] != self.local["fingerprint"] or sorted(have["usage"]) != usage:
                if have is not None:
                    if have.get("default"):
                        raise CanonError("certificate_default_protected", "key %s is a factory-default key" % name)
                    if have["usage"] and not set(have["usage"]) <= set(usage):
                        raise CanonError("certificate_in_use", "key %s holds %s; a key's usage cannot change, and "
                                         "it cannot be replaced while in use" % (name, ", ".join(have["usage"])),
                                         hint="Move the usage to another key first (replace: true), then run again.")
                held = sorted({(u, k["name"]) for k in before["keys"] if k["name"] != name
                               for u in k["usage"] if u in usage})
                if held and not p["replace"]:
                    raise CanonError("certificate_usage_conflict", "usage %s is held by key %s; a device keeps one key "
                                     "per usage (replace: true moves it)" % held[0])
                if have is not None:
                    actions.append({"action": "remove_key", "name": name, "reason": "renewed or usage changed"})
                actions.append({"action": "add_key", "name": name, "usage": usage, "subject": self.local["subject"],
                                "fingerprint": self.local["fingerprint"],
                                "takes_usage_from": sorted({k for _u, k in held})})
        after = before
        if actions:
            after = self._expected(before, actions)
        return Plan(actions=actions, after=after)

    def _removable(self, entry: Dict[str, Any], what: str) -> None:
        if entry.get("default"):
            raise CanonError("certificate_default_protected", "%s is a factory-default entry" % what)
        if entry.get("in_use") or entry.get("usage"):
            raise CanonError("certificate_in_use", "%s is in use and cannot be removed" % what,
                             hint="Move its usage to another key first (canon_certificate replace: true) - %s." % MENU)

    def _expected(self, before: Dict[str, Any], actions: List[Dict[str, Any]]) -> Dict[str, Any]:
        certs = list(before["certificates"])
        keys = [dict(k) for k in before["keys"]]
        for act in actions:
            if act["action"] == "add_certificate":
                certs.append(dict(self.local or {}, default=False, in_use=False, expired=False))
            elif act["action"] == "remove_certificate":
                certs = [c for c in certs if c["fingerprint"] != act["fingerprint"]]
            elif act["action"] == "remove_key":
                keys = [k for k in keys if k["name"] != act["name"]]
            elif act["action"] == "add_key":
                for k in keys:
                    k["usage"] = [u for u in k["usage"] if u not in act["usage"]]
                keys.append(dict(self.local or {}, name=act["name"], usage=act["usage"], default=False))
        return {"certificates": certs, "keys": keys}

    def apply(self, conn: Any, plan: Plan) -> None:
        session = conn
        for act in plan.actions:
            if act["action"] == "add_certificate":
                page = session.post_multipart("certificate_add", {F["kind"]: "ca"},
                                              {F["file"]: ("ca.crt", self.data, "application/octet-stream")})
            elif act["action"] == "add_key":
                page = session.post_multipart("certificate_add", {
                    F["kind"]: "key", F["name"]: act["name"], F["usage"]: ",".join(act["usage"]),
                    F["password"]: self.params.get("passphrase") or "",
                    F["take_usage"]: "1" if act["takes_usage_from"] else "0"},
                    {F["file"]: ("key.p12", self.data, "application/x-pkcs12")})
            elif act["action"] == "remove_key":
                page = session.post_form("certificate_delete", {F["kind"]: "key", F["id"]: act["name"]})
            else:
                page = session.post_form("certificate_delete", {F["kind"]: "ca", F["id"]: act["fingerprint"]})
            check_answer(page, act["action"].replace("_", " "), "certificate_refused")

    def verify(self, conn: Any, plan: Plan, after: Any) -> None:
        leftover = self.plan(after)
        if leftover.changed:
            raise CanonError("verify_failed", "the device does not hold the declared keys/certificates after writing")

    def extend_result(self, result: Dict[str, Any], before: Any, after: Any, plan: Optional[Plan]) -> None:
        result["certificates"] = after["certificates"]
        result["keys"] = after["keys"]
        result["replaced"] = bool(plan and any(a.get("takes_usage_from") for a in plan.actions))
