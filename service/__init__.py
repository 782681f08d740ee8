"""The ways into accord: the `accord` command line (and, later, the HTTP API and web pages).

Imports everything else; nothing imports it.
"""
