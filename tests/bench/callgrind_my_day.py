"""Instructions per "my day" request, counted by callgrind: a figure that a busy machine does
not move (wall-clock and even CPU time do), for comparing two versions of the page's code.

Run it under callgrind with instrumentation off; it signs ten associates of the follow-ups
fixture in, warms up (two requests each), then waits for instrumentation to be switched on and
makes ``N`` requests (default 20). ``tests/bench/callgrind_my_day.sh`` does all of it and prints
the instructions per request. The fixture is the ``followups_my_day`` benchmark's: run that
benchmark once against the same database first.
"""

from __future__ import annotations

import os
from pathlib import Path


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clienteling.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client

    from tests.bench.followups_fixture import loaded

    settings.ALLOWED_HOSTS = ["*"]
    clients = []
    for person in loaded().associates[:10]:
        client = Client()
        client.force_login(person)
        clients.append(client)
    for client in clients * 2:
        client.get("/")
    go = Path(os.environ["CALLGRIND_GO"])
    print("READY", os.getpid(), flush=True)
    while not go.exists():  # busy: a sleeping process would not hear the switch
        pass
    for number in range(int(os.environ.get("N", "20"))):
        response = clients[number % len(clients)].get("/")
        if response.status_code != 200:
            raise SystemExit(f"/ answered {response.status_code}")
    go.unlink()


if __name__ == "__main__":
    main()
