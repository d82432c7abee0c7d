#!/usr/bin/env python3
"""Regenerates official.json: UserSigs made the way the official Python
library (tencentyun/tls-sig-api-v2-python, TLSSigAPIv2.py) makes them.

The library reads the clock inside gen_sig, so it cannot produce fixed
vectors; this file repeats its algorithm with the time passed in. What must
stay identical to the library: json.dumps with default separators (", ",
": ") and ensure_ascii, insertion-ordered keys, no trailing newline,
zlib.compress at the default level, str() of the numbers in the signed text,
the key used as its UTF-8 bytes, and the base64 substitution + -> *, / -> -,
= -> _. The Go test only reads the committed output; run this by hand
(python3 official_gen.py > official.json) after changing the cases.
"""

import base64
import hashlib
import hmac
import json
import struct
import zlib

KEY_A = "d1f0c2b3a4e5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f809"
KEY_B = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


def base64_encode_url(data):
    s = base64.b64encode(data).decode()
    return s.replace("+", "*").replace("/", "-").replace("=", "_")


def hmacsha256(key, sdkappid, identifier, curr_time, expire, base64_userbuf):
    text = ("TLS.identifier:" + str(identifier) + "\n"
            + "TLS.sdkappid:" + str(sdkappid) + "\n"
            + "TLS.time:" + str(curr_time) + "\n"
            + "TLS.expire:" + str(expire) + "\n")
    if base64_userbuf is not None:
        text += "TLS.userbuf:" + base64_userbuf + "\n"
    return base64.b64encode(hmac.new(key.encode("utf-8"), text.encode("utf-8"),
                                     hashlib.sha256).digest())


def gen_sig(key, sdkappid, identifier, curr_time, expire, userbuf=None):
    m = dict()
    m["TLS.ver"] = "2.0"
    m["TLS.identifier"] = str(identifier)
    m["TLS.sdkappid"] = int(sdkappid)
    m["TLS.expire"] = int(expire)
    m["TLS.time"] = int(curr_time)
    base64_userbuf = None
    if userbuf is not None:
        base64_userbuf = base64.b64encode(userbuf).decode()
        m["TLS.userbuf"] = base64_userbuf
    m["TLS.sig"] = hmacsha256(key, sdkappid, identifier, curr_time, expire,
                              base64_userbuf).decode()
    raw = json.dumps(m)
    return base64_encode_url(zlib.compress(raw.encode("utf-8")))


def gen_userbuf(account, sdkappid, room_id, expire_at, privileges):
    """_gen_userbuf of the library, numeric room, account type 0."""
    acct = account.encode("ascii")
    return (bytes([0]) + struct.pack(">H", len(acct)) + acct
            + struct.pack(">IIIII", sdkappid & 0xFFFFFFFF, room_id,
                          expire_at & 0xFFFFFFFF, privileges, 0))


CASES = [
    # name, key, sdkappid, identifier, time, expire, userbuf
    ("vector A via python", KEY_A, 1400012345, "administrator", 1700000000, 15552000, None),
    ("library readme key", KEY_B, 1400000000, "xiaojun", 1710000000, 86400 * 180, None),
    ("non-ascii identifier", KEY_B, 1400000000, "\u7528\u6237_01", 1720000000, 86400, None),
    ("html characters", KEY_A, 1400012345, "a<b>&c", 1700000000, 3600, None),
    ("one second expiry", KEY_A, 20000001, "u", 1600000000, 1, None),
    ("private map key", KEY_B, 1400000000, "xiaojun", 1730000000, 86400 * 180,
     gen_userbuf("xiaojun", 1400000000, 10000, 1730000000 + 86400 * 180, 255)),
]


def main():
    out = []
    for name, key, sdkappid, identifier, t, expire, userbuf in CASES:
        row = {
            "name": name,
            "key": key,
            "sdkappid": sdkappid,
            "identifier": identifier,
            "time": t,
            "expire": expire,
            "usersig": gen_sig(key, sdkappid, identifier, t, expire, userbuf),
        }
        if userbuf is not None:
            row["userbuf"] = base64.b64encode(userbuf).decode()
        out.append(row)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
