"""Stateful vendor simulators: the kit every provider's simulator is built on.

```python
from hub.simulator import Collection, Simulator, SimRequest, route, Fault

class EchoSimulator(Simulator):
    name = "echo"
    base_path = "/v1"
    things = Collection("things", model="Thing")

    @route("POST", "/v1/things")
    def create_thing(self, req: SimRequest):
        return 201, self.table(req.account, self.things).insert({"id": str(self.next_seq()), **req.json()})

with EchoSimulator() as sim:            # serves on 127.0.0.1:<ephemeral port>
    requests.post(sim.base_url + "/things", json={"name": "x"})
    sim.inject(Fault("status", status=503))
    assert sim.log.count("POST") == 1
```
Modules: `base` (the `Simulator` and its request pipeline), `messages` (requests and answers), `router`,
`store` (typed collections with unique keys and secondary indexes, paging), `request_log`, `faults`,
`ratelimit`, `persistence`, `activity` (who bounces, opens, clicks, unsubscribes and complains, and when),
`control_api` (``/_sim/``) and `http_server`.
"""

from hub.clock import Clock
from hub.simulator.activity import Activity, ActivityRates, Outcome, recipient_activity, recipient_outcome, tally
from hub.simulator.base import Simulator, listing
from hub.simulator.faults import Fault
from hub.simulator.messages import Abort, Headers, MalformedBody, SimRequest, SimResponse, basic_auth, bearer_token
from hub.simulator.request_log import LogEntry, RequestLog
from hub.simulator.router import control, route
from hub.simulator.store import Collection, Missing, Page, Row, Table, page_by_number, page_by_offset

__all__ = [
    "Abort", "Activity", "ActivityRates", "Clock", "Collection", "Fault", "Headers", "LogEntry", "MalformedBody",
    "Missing", "Outcome", "Page", "RequestLog", "Row", "SimRequest", "SimResponse", "Simulator", "Table", "basic_auth",
    "bearer_token", "control", "listing", "page_by_number", "page_by_offset", "recipient_activity",
    "recipient_outcome", "route", "tally",
]
