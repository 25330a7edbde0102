"""Demo data for the whole portal: log-ins for every role, a live deployment ready to run,
and about a year of invented history. `manage.py seed_demo` writes it."""
