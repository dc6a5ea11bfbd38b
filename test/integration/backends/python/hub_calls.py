"""Drive the fake Koji and fake OpenScanHub with Python's own xmlrpc.client, the
client koji and kobo use, and print what it decoded as one JSON object.

    python3 hub_calls.py <koji hub URL> <OpenScanHub XML-RPC URL>
"""
import json
import sys
import xmlrpc.client

koji_url, osh_url = sys.argv[1], sys.argv[2]
out = {}


def fault(call):
    try:
        call()
    except xmlrpc.client.Fault as f:
        return {"faultCode": f.faultCode, "faultString": f.faultString}
    return None


# --- Koji --------------------------------------------------------------------
koji = xmlrpc.client.ServerProxy(koji_url, allow_none=True)
out["koji_unknown_task"] = koji.getTaskInfo(999999)  # nil → None
sinfo = koji.login("packit", "packit-password")
out["koji_login_keys"] = sorted(sinfo)
callnum = 0


def session():
    """A proxy carrying koji's session headers, the call number growing per call."""
    global callnum
    headers = [
        ("Koji-Session-Id", str(sinfo["session-id"])),
        ("Koji-Session-Key", sinfo["session-key"]),
        ("Koji-Session-Callnum", str(callnum)),
    ]
    callnum += 1
    return xmlrpc.client.ServerProxy(koji_url, allow_none=True, headers=headers)


task = session().build("git+https://github.com/o/r.git#abc", "rawhide", {"scratch": True})
out["koji_task_is_int"] = isinstance(task, int)
# Keyword arguments as koji's encode_args sends them.
info = koji.getTaskInfo(task, {"request": True, "__starstar": True})
out["koji_kwargs_request"] = info["request"]
out["koji_kwargs_state"] = info["state"]
out["koji_bad_kwarg"] = fault(lambda: koji.getTaskInfo(task, {"nonsense": 1, "__starstar": True}))
out["koji_anonymous_cancel"] = fault(lambda: koji.cancelTask(task))

multi = xmlrpc.client.MultiCall(koji)
multi.getTaskInfo(task)
multi.getTaskInfo(424242)
multi.getUser("packit")
multi.noSuchMethod()
results = []
iterator = multi()
for i in range(4):
    try:
        value = iterator[i]
        results.append({"value": value if i != 0 else value["id"] == task})
    except xmlrpc.client.Fault as f:
        results.append({"faultCode": f.faultCode, "faultString": f.faultString})
out["koji_multicall"] = results
# koji's own multiCall shape, on the session: [value] or a fault struct per call.
out["koji_multiCall"] = session().multiCall([
    {"methodName": "cancelTask", "params": [task, True]},
    {"methodName": "cancelTask", "params": [424242]},
    {"methodName": "getTaskInfo", "params": [task]},
])
out["koji_multiCall"][2] = [out["koji_multiCall"][2][0]["state"]]
out["koji_logout"] = session().logout()

# --- OpenScanHub -------------------------------------------------------------
class CookieTransport(xmlrpc.client.Transport):
    """Keeps the session cookie the hub sets, as kobo's CookieTransport does."""

    cookie = None

    def parse_response(self, response):
        set_cookie = response.getheader("set-cookie")
        if set_cookie:
            CookieTransport.cookie = set_cookie.split(";")[0]
        return super().parse_response(response)


osh = xmlrpc.client.ServerProxy(osh_url, allow_none=True)
out["osh_unknown_task_info"] = osh.scan.get_task_info(999)
out["osh_task_info_fault"] = fault(lambda: osh.client.task_info(999))
out["osh_renew_without_session"] = osh.auth.renew_session()
out["osh_cancel_without_session"] = fault(lambda: osh.client.cancel_task(999))
xmlrpc.client.ServerProxy(osh_url, allow_none=True, transport=CookieTransport()).auth.login_password("packit", "packit-password")
logged_in = xmlrpc.client.ServerProxy(osh_url, allow_none=True, headers=[("Cookie", CookieTransport.cookie)])
out["osh_renew_with_session"] = logged_in.auth.renew_session()
out["osh_cancel_unknown"] = logged_in.client.cancel_task(999)
out["osh_logout"] = logged_in.auth.logout()

print(json.dumps(out))
