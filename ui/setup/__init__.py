"""The first-run set-up: a wizard the operator answers once per install (ui/app.py shows it)."""
