"""The simulated people of benchmarks/load_bench.py, as locust users, and the headless driver
that runs them. load_bench.py starts this file as its own process (locust patches the
standard library with gevent when imported, which the Django side must not see):

    .venv/bin/python benchmarks/load_locustfile.py PLAN.json

PLAN.json, written by load_bench.py, names the server, the accounts, the deployments
and how long to measure. Each user logs in once through the real login form (so
django-axes sees only correct passwords), then:

- operators open their deployment's live view and poll its feed every two seconds, as
  the page's script does; they fetch the images of each new alert once, and the first
  operator of each deployment adjudicates the oldest waiting alert through the page's form;
- planners open their own draft's edit page, change it and submit the form (with its CSRF
  token), then land on the deployment page; now and then they read the schedule and
  the dashboard;
- the public read /transparency/ (some pages filtered or paged), a deployment's public
  page and the open data as JSON and CSV.

Once every user has logged in, the driver measures for the plan's duration and writes
each request's time and outcome to the results file; nothing is asserted here.
"""

import json
import random
import sys
import time
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, constant_pacing, task
from locust.env import Environment

PLAN = {}
ACCOUNTS = {}
READY = {"users": 0}
POLL_SECONDS = 2.0  # static/js/operator.js polls the feed every two seconds


class FormFields(HTMLParser):
    """The fields of the forms on a page, as a browser would submit them unchanged."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select:
            # The first option unless one is selected.
            if "selected" in attrs or self._form[self._select] is None:
                self._form[self._select] = attrs.get("value", "")
        elif not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._form[attrs["name"]] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
            self._form.setdefault(self._select, None)

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_with(html, field):
    parser = FormFields()
    parser.feed(html)
    for form in parser.forms:
        if field in form:
            return {k: ("" if v is None else v) for k, v in form.items()}
    return None


class LoopbackCookies(DefaultCookiePolicy):
    """The production settings mark the session and CSRF cookies Secure; here plain HTTP
    on loopback stands in for the TLS terminator in front of the portal, so a browser
    behind it would send them, and so does this client."""

    def return_ok_secure(self, cookie, request):
        return True


class PortalUser(FastHttpUser):
    abstract = True
    role = ""

    def __init__(self, environment):
        super().__init__(environment)
        self.client.cookiejar.set_policy(LoopbackCookies())

    def csrf_token(self):
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")

    def post_form(self, path, fields, *, name, headers=None):
        return self.client.post(
            path,
            data=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            name=name,
            allow_redirects=False,
            catch_response=True,
        )

    def log_in(self, username):
        """The login form, as a person fills it in: its CSRF token, the right password."""
        self.client.get("/accounts/login/", name=f"{self.role}: log-in page")
        fields = {
            "csrfmiddlewaretoken": self.csrf_token(),
            "username": username,
            "password": PLAN["password"],
            "next": "",
        }
        with self.post_form("/accounts/login/", fields, name=f"{self.role}: log in") as answer:
            if answer.status_code != 302:
                answer.failure(f"log-in refused for {username} (HTTP {answer.status_code})")
                return False
            answer.success()
        return True


class Operator(PortalUser):
    role = "operator"
    wait_time = constant_pacing(POLL_SECONDS)

    def on_start(self):
        try:
            self.account = next(ACCOUNTS["operator"])
            self.base = f"/deployments/{self.account['deployment']}/operate/"
            self.images_seen = set()
            if self.log_in(self.account["username"]):
                self.client.get(self.base, name="operator: live view page")
        finally:
            READY["users"] += 1

    @task
    def poll(self):
        with self.client.get(
            self.base + "feed.json",
            name="operator: alert feed (poll)",
            headers={"Accept": "application/json"},
            catch_response=True,
        ) as answer:
            try:
                feed = answer.json()
                alerts, _ = feed["alerts"], feed["cameras"]
            except (ValueError, KeyError, TypeError):
                answer.failure(f"feed is not the live view's JSON (HTTP {answer.status_code})")
                return
        for alert in alerts:
            if alert["id"] in self.images_seen:
                continue
            self.images_seen.add(alert["id"])
            for url in (alert["crop_url"], alert["reference_url"]):
                if url:
                    self.client.get(url, name="operator: alert images")
        waiting = [a for a in alerts if a["adjudication"] == "Awaiting adjudication"]
        if self.account["adjudicates"] and waiting:
            self.adjudicate(waiting[0])

    def adjudicate(self, alert):
        """The page's clicks: the decision, the outcome, then "Record it" to confirm."""
        in_video = alert["name"] in PLAN["in_video"]
        adjudication = "confirmed" if in_video else "false_alert"
        outcome = "words_of_advice" if in_video else "no_action"
        fields = {
            "csrfmiddlewaretoken": self.csrf_token(),
            "adjudication": adjudication,
            "outcome": outcome,
            "outcome_detail": "",
            # The confirmation the card sends back (views/operator.py confirm_token; this
            # file stays free of Django, so the format is written out here).
            "confirm": f"{adjudication}/{outcome}",
        }
        with self.post_form(
            alert["adjudicate_url"],
            fields,
            name="operator: adjudicate",
            headers={"Accept": "application/json"},
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"adjudication refused (HTTP {answer.status_code}: {answer.text})")


class Planner(PortalUser):
    role = "planner"
    wait_time = between(3, 8)

    def on_start(self):
        try:
            self.account = next(ACCOUNTS["planner"])
            self.draft = f"/deployments/{self.account['draft']}/"
            self.edits = 0
            self.log_in(self.account["username"])
        finally:
            READY["users"] += 1

    @task(4)
    def edit_draft(self):
        with self.client.get(
            self.draft + "edit/", name="planner: edit page", catch_response=True
        ) as page:
            fields = form_with(page.text or "", "title")
            if fields is None:
                page.failure(f"no deployment form on the edit page (HTTP {page.status_code})")
                return
        self.edits += 1
        fields["expected_faces"] = str(random.randint(8_000, 40_000))
        fields["purpose"] = (
            "Locate people wanted for violent offences in the town centre "
            f"(revision {self.edits} by {self.account['username']})."
        )
        with self.post_form(self.draft + "edit/", fields, name="planner: save edit") as answer:
            if answer.status_code != 302 or answer.headers.get("Location") != self.draft:
                answer.failure(f"edit not saved (HTTP {answer.status_code})")
                return
            answer.success()
        self.client.get(self.draft, name="planner: deployment page")

    @task(1)
    def schedule(self):
        self.client.get("/schedule/", name="planner: schedule")

    @task(1)
    def dashboard(self):
        self.client.get("/dashboard/", name="planner: dashboard")


class Public(FastHttpUser):
    wait_time = between(1, 5)

    @task(6)
    def transparency(self):
        choice = random.random()
        if choice < 0.7:
            path = "/transparency/"
        elif choice < 0.85:
            path = "/transparency/?page=2"
        else:
            path = "/transparency/?" + urlencode({"borough": random.choice(PLAN["boroughs"])})
        self.client.get(path, name="public: /transparency/")

    @task(2)
    def deployment(self):
        public_id = random.choice(PLAN["public_deployments"])
        self.client.get(f"/transparency/deployments/{public_id}/", name="public: deployment page")

    @task(1)
    def open_data_json(self):
        self.client.get("/transparency/deployments.json", name="public: deployments.json")

    @task(1)
    def open_data_csv(self):
        self.client.get("/transparency/deployments.csv", name="public: deployments.csv")

    @task(1)
    def totals(self):
        self.client.get("/transparency/totals.json", name="public: totals.json")


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def error_kind(exception):
    text = str(exception).strip().splitlines()[0] if str(exception).strip() else ""
    return f"{type(exception).__name__}: {text}"[:160]


def main(plan_path):
    with open(plan_path) as plan:
        PLAN.update(json.load(plan))
    think = PLAN["think"]
    Operator.wait_time = constant_pacing(POLL_SECONDS * think)
    Planner.wait_time = between(3 * think, 8 * think)
    Public.wait_time = between(1 * think, 5 * think)
    counts = PLAN["counts"]
    classes = []
    for cls, role in ((Operator, "operator"), (Planner, "planner"), (Public, "public")):
        cls.fixed_count = counts[role]
        if counts[role]:
            classes.append(cls)
    ACCOUNTS["operator"] = iter(PLAN["operators"])
    ACCOUNTS["planner"] = iter(PLAN["planners"])
    logging_in = counts["operator"] + counts["planner"]

    env = Environment(user_classes=classes, host=PLAN["host"])
    window = {"open": False}
    samples, warmup = [], []

    def record(request_type, name, response_time, exception=None, **_):
        sample = [name, response_time, error_kind(exception) if exception else None]
        (samples if window["open"] else warmup).append(sample)

    env.events.request.add_listener(record)
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(sum(counts.values()), spawn_rate=max(1, sum(counts.values())))
    while READY["users"] < logging_in and time.monotonic() - started < PLAN["warmup_timeout"]:
        gevent.sleep(0.1)
    emit(event="logged_in", seconds=time.monotonic() - started, users=READY["users"])
    # Let every operator's first poll and every planner's first page settle.
    gevent.sleep(min(2.0, POLL_SECONDS * think))
    window["open"] = True
    opened = time.monotonic()
    emit(event="measuring")
    gevent.sleep(PLAN["duration"])
    window["open"] = False
    elapsed = time.monotonic() - opened
    emit(event="measured", seconds=elapsed)
    runner.quit()
    exceptions = [
        {"count": e["count"], "message": e["msg"], "traceback": e["traceback"]}
        for e in runner.exceptions.values()
    ]
    with open(PLAN["results"], "w") as out:
        json.dump(
            {"seconds": elapsed, "samples": samples, "warmup": warmup, "exceptions": exceptions},
            out,
        )
    emit(event="done")


if __name__ == "__main__":
    main(sys.argv[1])
