"""The ways into accord: the `accord` command line and the HTTP API (`service.api`; later the web pages).

Imports everything else; nothing imports it.
"""
