"""Run the whole stack in the foreground: web, Celery worker, Celery beat (and the demo feed).

``make run`` calls this after migrating and seeding. One Ctrl-C stops every process, and the
embedded Redis too when this command is the one that started it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from honcho.manager import Manager

from clienteling import embedded_redis

DEMO_LOGINS = ("associate1", "associate2", "manager1", "admin")


def stack_processes(host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    processes = {
        "web": [
            python,
            "-m",
            "uvicorn",
            "clienteling.asgi:application",
            "--host",
            host,
            "--port",
            str(port),
            "--no-access-log",
            # The one websocket carries short JSON notifications: compressing them saves a few
            # hundred bytes each, at the price of a zlib context per open socket (about 40 KiB:
            # 94 -> 53 KiB per connection in tests/bench/bench_notification_fanout.py) and a
            # compression per socket for every store-wide message.
            "--ws-per-message-deflate",
            "false",
        ],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "clienteling",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        "beat": [python, "-m", "celery", "-A", "clienteling", "beat", "--loglevel", "INFO"],
        # The demo source: small ERP changes dropped into the file-drop inbox (frontline.sync).
        "feed": [python, "manage.py", "sync_demo_feed"],
    }
    return processes


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together in the foreground."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        # Children inherit the resolved Redis URL, so they all use the server found or started
        # while loading settings.
        environment = {**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1"}
        self._greet(host, port)
        manager = Manager()
        for name, command in stack_processes(host, port).items():
            manager.add_process(name, " ".join(command), env=environment)
        try:
            manager.loop()
        finally:
            if embedded_redis.started_here:
                embedded_redis.stop(settings.VAR_DIR / "redis")
        sys.exit(manager.returncode)

    def _greet(self, host: str, port: int) -> None:
        self.stdout.write(self.style.SUCCESS(f"Frontline is starting on http://{host}:{port}/"))
        self.stdout.write(
            f"Demo logins ({', '.join(DEMO_LOGINS)}), password: {settings.DEMO_PASSWORD}"
        )
        self.stdout.write(
            f"Redis: {settings.REDIS_URL}   Database: {settings.DATABASES['default']['NAME']}"
        )
        self.stdout.write("Press Ctrl-C to stop everything.")
