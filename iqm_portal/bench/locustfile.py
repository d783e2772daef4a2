"""`make load`'s scenario: school staff editing their self-review and autosaving, mentors
validating (reading the school's answers and saving their decision on each element), and the public
reading the published list and the national directory.

Run by locust in a process of its own (`manage.py load` starts it), without Django: who signs in
where, and what each sends, is read from the plan `manage.py load` wrote (LOAD_PLAN, a JSON file;
iqm_portal/bench/load.py). Each simulated person takes a slot of their own (an element of a cycle),
so two never save the same answer; any answer but 200 is a failure.
"""

import itertools
import json
import os
import re

from locust import HttpUser, between, task

with open(os.environ["LOAD_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)

VERSION = re.compile(r'data-version="(\d+)"')
NEXT_SLOT = {kind: itertools.count() for kind in ("staff", "mentors")}


class Person(HttpUser):
    abstract = True
    kind = ""

    def on_start(self):
        slots = PLAN[self.kind]
        self.slot = slots[next(NEXT_SLOT[self.kind]) % len(slots)]

    def send(self, name, path, *, data=None, htmx=False):
        headers = dict(self.slot["headers"])
        if data is not None:
            headers["X-CSRFToken"] = self.slot["csrf"]
        if htmx:
            headers["HX-Request"] = "true"
        method = self.client.post if data is not None else self.client.get
        with method(
            path,
            data=data,
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            return response


class SchoolStaff(Person):
    """A school coordinator answering one element: mostly typing (an autosave every few
    seconds), now and then back to the cycle or the dashboard."""

    kind = "staff"
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        super().on_start()
        self.form = dict(self.slot["form"])

    @task(6)
    def autosave(self):
        response = self.send("autosave", self.slot["element"], data=self.form, htmx=True)
        version = VERSION.search(response.text or "")
        if version:
            self.form["version"] = version.group(1)

    @task(2)
    def element(self):
        self.send("element page", self.slot["element"])

    @task(1)
    def cycle(self):
        self.send("cycle", self.slot["cycle"])

    @task(1)
    def dashboard(self):
        self.send("dashboard (school)", self.slot["dashboard"])


class Mentor(Person):
    """A mentor validating a self-review: reading it, and deciding element after element."""

    kind = "mentors"
    weight = 1
    wait_time = between(2, 5)

    @task(3)
    def review(self):
        self.send("mentor review", self.slot["review"])

    @task(3)
    def decide(self):
        self.send("mentor review autosave", self.slot["review"], data=self.slot["form"], htmx=True)

    @task(1)
    def dashboard(self):
        self.send("dashboard (mentor)", self.slot["dashboard"])


class Public(HttpUser):
    """Someone looking for an awarded school: the authority's list, or the national directory."""

    weight = 2
    wait_time = between(1, 4)

    def get(self, name):
        with self.client.get(
            PLAN["public"][name], name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def public_list(self):
        self.get("public list")

    @task(1)
    def public_json(self):
        self.get("public list JSON")

    @task(2)
    def directory(self):
        self.get("national directory")

    @task(2)
    def search(self):
        self.get("directory search")

    @task(2)
    def school(self):
        self.get("directory school page")
