"""`make demo`: run the whole platform on this machine — the web server, a Celery worker and the
beat scheduler — and say where everything is. Stops everything on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from cityportal.celery import app as celery_app
from cityportal.celery import task_mode
from cityportal.management.commands.seed_demo import (
    DEMO_CITIZEN_PASSWORD,
    DEMO_STAFF,
    DEMO_STAFF_PASSWORD,
    DEMO_STAFF_TOTP_SECRET,
    demo_totp_code,
)
from identity.demo import seed_identity_logins, transit_integrator_token


class Command(BaseCommand):
    help = "Serve the API, admin, worker and beat for a local demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--exit-after",
            type=float,
            default=0,
            help="Stop after this many seconds once ready (for smoke tests); 0 runs until Ctrl-C.",
        )
        parser.add_argument(
            "--totp-code",
            action="store_true",
            help="Print the demo staff login's current two-factor code and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["totp_code"]:
            self.stdout.write(demo_totp_code())
            return
        host, port = options["host"], options["port"]
        root = Path(settings.BASE_DIR)
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
        processes: list[subprocess.Popen[bytes]] = []
        if not celery_app.conf.task_always_eager:
            # One worker process with an embedded beat: enough for a demo, and periodic jobs run.
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [
                        python, "-m", "celery", "-A", "cityportal", "worker", "--beat",
                        "--pool", "solo", "--loglevel", "INFO",
                        "-Q", ",".join(settings.CELERY_TASK_QUEUES_NAMES),
                        "--schedule", str(root / "var" / "celerybeat-schedule"),
                    ],
                    cwd=root, env=env,
                )
            )  # fmt: skip
        processes.append(
            subprocess.Popen(  # noqa: S603
                [python, "manage.py", "runserver", "--noreload", f"{host}:{port}"],
                cwd=root,
                env=env,
            )
        )
        base = f"http://{host}:{port}"
        try:
            self._wait_until_serving(f"{base}/healthz", processes)
            self._print_banner(base)
            started = time.monotonic()
            while all(p.poll() is None for p in processes):
                if options["exit_after"] and time.monotonic() - started > options["exit_after"]:
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _wait_until_serving(self, url: str, processes: list[subprocess.Popen[bytes]]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                raise SystemExit("A demo process stopped while starting; see the log above.")
            try:
                with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own localhost
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"The web server did not answer at {url} within 60 s.")

    def _print_banner(self, base: str) -> None:
        lines = [
            "",
            "CityPortal is running.",
            f"  API docs (Swagger UI)  {base}/api/docs/",
            f"  API docs (ReDoc)       {base}/api/redoc/",
            f"  OpenAPI schema         {base}/api/v1/schema/",
            f"  Admin                  {base}/{settings.ADMIN_URL}",
            f"  Readiness              {base}/readyz",
            "",
            f"  Staff login (admin)    {DEMO_STAFF['email']} / {DEMO_STAFF_PASSWORD}",
            f"    two-factor code      {demo_totp_code()} now; a fresh one any time with",
            "                         .venv/bin/python manage.py demo --totp-code",
            f"                         (or add the secret {DEMO_STAFF_TOTP_SECRET} to an",
            "                         authenticator app)",
            "  Agency staff (admin)   <agency>.officer|supervisor@demo.cityportal.local, e.g.",
            "                         cm-public-works.officer@demo.cityportal.local; dispatchers",
            "                         cm-municipality.dispatcher@… and",
            "                         sz-government-services.dispatcher@…; all with the staff",
            "                         login's password and two-factor code",
            f"  Citizen logins         password {DEMO_CITIZEN_PASSWORD}, email one of",
            *(f"    {login.username:<34} {login.note}" for login in seed_identity_logins()),
            f"  Integrator (transit)   Authorization: Bearer {transit_integrator_token()}",
            f"  Tasks                  {task_mode()}",
            "",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
