"""Runs exchangelib's own autodiscover (SOAP and POX) against the test server.

Usage: exchangelib_autodiscover.py <base URL>. Prints one JSON object with what
exchangelib found. The autodiscover cache is seeded with the test server's endpoint for
example.com, so that exchangelib's discover() starts with its "quick" path instead of
DNS; everything after that (auth detection, redirect handling, parsing, error mapping)
is exchangelib's own code.
"""

import json
import sys

from exchangelib import Configuration, Credentials
from exchangelib.autodiscover import AutodiscoverProtocol, autodiscover_cache
from exchangelib.autodiscover.discovery.pox import PoxAutodiscovery
from exchangelib.autodiscover.discovery.soap import SoapAutodiscovery
from exchangelib.errors import ErrorNonExistentMailbox

base = sys.argv[1]
creds = Credentials("alice@example.com", "secret")
out = {}


def seed(path):
    autodiscover_cache.clear()
    proto = AutodiscoverProtocol(config=Configuration(service_endpoint=base + path, credentials=creds))
    # Setting the entry reads proto.auth_type: an unauthenticated probe POST.
    autodiscover_cache[("example.com", creds)] = proto
    return proto


def unknown(discovery_cls):
    try:
        discovery_cls(email="nobody@example.com", credentials=creds).discover()
    except ErrorNonExistentMailbox:
        return "ErrorNonExistentMailbox"
    return "no error"


for name, path, cls in (
    ("soap", "/autodiscover/autodiscover.svc", SoapAutodiscovery),
    ("pox", "/autodiscover/autodiscover.xml", PoxAutodiscovery),
):
    proto = seed(path)
    out[name + "_auth_type"] = proto.auth_type
    # old@example.com is redirected to alice@example.com.
    ad, ews = cls(email="old@example.com", credentials=creds).discover()
    out[name + "_ews_url"] = ews.service_endpoint
    out[name + "_smtp"] = ad.autodiscover_smtp_address
    out[name + "_unknown"] = unknown(cls)
    if name == "soap":
        out["soap_api_version"] = ews.config.version.api_version
        # The ServerVersionInfo header of the last answer updated the protocol's version.
        out["soap_header_build"] = str(proto.config.version.build)

print(json.dumps(out, sort_keys=True))
