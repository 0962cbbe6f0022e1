"""Stateful vendor simulators: the kit every provider's simulator is built on.

```python
from hub.simulator import Simulator, SimRequest, SimResponse, route, control, Fault

class EchoSimulator(Simulator):
    name = "echo"
    base_path = "/v1"

    @route("GET", "/v1/things/{id}")
    def get_thing(self, req: SimRequest):
        return 200, {"id": req.params["id"]}

with EchoSimulator() as sim:            # serves on 127.0.0.1:<ephemeral port>
    requests.get(sim.base_url + "/things/7")
    sim.inject(Fault("status", status=503))
    assert sim.log.count("GET") == 1
```
See `hub.simulator.server` for the request pipeline and the ``/_sim/`` control interface.
"""

from hub.clock import Clock
from hub.simulator.faults import Fault
from hub.simulator.server import (
    Abort,
    Headers,
    LogEntry,
    MalformedBody,
    RequestLog,
    SimRequest,
    SimResponse,
    Simulator,
    basic_auth,
    bearer_token,
    control,
    route,
)

__all__ = [
    "Abort",
    "Clock",
    "Fault",
    "Headers",
    "LogEntry",
    "MalformedBody",
    "RequestLog",
    "SimRequest",
    "SimResponse",
    "Simulator",
    "basic_auth",
    "bearer_token",
    "control",
    "route",
]
