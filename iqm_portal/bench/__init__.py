"""`make bench` and `make load`: the key pages under gunicorn, measured against a bare Django view.

- budgets.py: the budgets, in one place, and how a measurement is judged, tabled and compared.
- pages.py: the key pages, the data each is measured on, and signing in as the role that uses it.
- runner.py: the gunicorn servers, the HTTP client at a fixed concurrency, query counts, profiles.
- data.py: the dedicated databases `make bench` generates its data sets in.
- floor.py: the floor, the portal's own settings and middleware serving one view answering "ok".
- locustfile.py: `make load`'s scenario (run by locust, in its own process, without Django).
"""
